"""Writing a model as ONNX: shared by the onnx exporter and every format that converts from ONNX (through
`ExportContext.onnx_file`). torch's TorchScript-based exporter for opsets 7-20 (a clean 1:1 graph on torch
2.13, 30x faster than dynamo), the dynamo exporter for opsets 21-23; simplification (`_onnx_simplify`),
metadata in metadata_props, and onnx.checker on the result. The tensor names and metadata key are the onnx
runtime's (its layout home).
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from .._io import write_bytes
from ..errors import ConfigError
from ..runtimes.onnx import DEFAULT_OPSET, INPUT, METADATA_KEY, OUTPUT
from ._blocks import TENSOR_PREFIX, probe_names, record, tensor_name
from ._onnx_simplify import simplify as simplify_graph

OPSETS = range(7, 24)  # 7-20: TorchScript-based exporter; 21-23: dynamo exporter
LEGACY_MAX_OPSET = 20


def _torch_export(m: Any, x: Any, path: Path, opset: int, dynamic: bool, probes: list[Any]) -> None:
    import torch

    from ..models.probes import probed

    names = [OUTPUT, *(tensor_name(p.name) for p in probes)]
    with warnings.catch_warnings(), probed(m, [p.name for p in probes]):
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice; dynamo's chatter
        if opset <= LEGACY_MAX_OPSET:
            axes = None
            if dynamic:
                axes = {INPUT: {0: "batch", 2: "height", 3: "width"}, OUTPUT: {0: "batch"}}
                for p, n in zip(probes, names[1:], strict=True):  # every axis but the channels follows the input
                    axes[n] = {a: f"{p.name}_{a}" for a in range(len(p.shape) + 1) if a != 1}
            torch.onnx.export(m, x, str(path), dynamo=False, opset_version=opset, input_names=[INPUT],
                              output_names=names, dynamic_axes=axes, do_constant_folding=True)
        else:
            d = torch.export.Dim
            shapes = {"x": {0: d("batch", min=1, max=4096), 2: d.AUTO, 3: d.AUTO}} if dynamic else None
            torch.onnx.export(m, (x,), str(path), dynamo=True, opset_version=opset, input_names=[INPUT],
                              output_names=names, dynamic_shapes=shapes, external_data=False,
                              verbose=False)


def block_tensors(proto: Any, points: list[Any]) -> dict[str, str]:
    """point name -> the tensor of `proto` that holds its output (the points whose named tensor a node still
    computes: a simplifier may fold a tensor away, and then the point has none)."""
    produced = {t for n in proto.graph.node for t in n.output}
    return {p.name: tensor_name(p.name) for p in points if tensor_name(p.name) in produced}


def drop_block_outputs(proto: Any) -> None:
    """Keep only the model's own output: the block tensors stay in the graph, under their names."""
    keep = [o for o in proto.graph.output if not o.name.startswith(TENSOR_PREFIX)]
    del proto.graph.output[:]
    proto.graph.output.extend(keep)


def metadata_props(metadata: dict[str, Any]) -> dict[str, str]:
    """The metadata_props entries: the whole metadata as JSON under `yolocls`, plus the keys other tools read."""
    return {METADATA_KEY: md_io.dumps(metadata), "names": str(metadata["names"]), "imgsz": str(metadata["imgsz"]),
            "batch": str(metadata["batch"]), "task": "classify", "stride": str(metadata.get("stride", 32))}


def write_onnx(model: Any, path: Path, *, imgsz: int, opset: int | None = None, dynamic: bool = False,
               simplify: bool = True, batch: int = 1, half: bool = False,
               metadata: dict[str, Any] | None = None, points: list[Any] | None = None,
               block_outputs: bool = False) -> Path:
    """Export `model` (eval, fp32; left unchanged) to `path` and check it; returns `path`.

    The block outputs (`points`, default: the model's probe points) are exported as extra graph outputs named
    `blocks/<module>`, so that simplification keeps them; then they are dropped from the outputs (unless
    `block_outputs`) and stay in the graph under those names. With `metadata`, the block map is recorded.
    """
    import onnx
    import torch

    from ..models.probes import block_points

    if points is None:
        points = block_points(model, depth=2, imgsz=imgsz)
    probes = [p for p in points if p.name in probe_names(points)]

    opset = int(opset or DEFAULT_OPSET)
    if opset not in OPSETS:
        raise ConfigError(f"opset={opset} is not supported; use {OPSETS.start}-{OPSETS.stop - 1} (default {DEFAULT_OPSET})")
    # half: fold BatchNorm in fp32 first (halves the fp16 error: max |dp| 2.5e-3 instead of 4.9e-3 on digits)
    m = copy.deepcopy(model).fuse().half() if half else model
    x = torch.zeros(batch, 3, imgsz, imgsz, dtype=torch.float16 if half else torch.float32)
    _torch_export(m, x, path, opset, dynamic, probes)
    proto = onnx.load(str(path))
    if simplify:
        proto, how = simplify_graph(proto)
        if metadata is not None:
            metadata["simplified"] = how
            if how.startswith("onnxslim "):
                metadata.setdefault("versions", {})["onnxslim"] = how.split()[1]
    if not block_outputs:
        drop_block_outputs(proto)
    if metadata is not None:
        record(metadata, points, block_tensors(proto, probes), how="named ONNX tensors (graph outputs at export)")
    return save_checked(proto, path, metadata)


def save_checked(proto: Any, path: Path, metadata: dict[str, Any] | None = None) -> Path:
    """Replace `proto`'s metadata_props with `metadata`'s (when given), check it and save it to `path`."""
    import onnx

    if metadata is not None:
        del proto.metadata_props[:]
        for k, v in metadata_props(metadata).items():
            proto.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(proto, full_check=True)
    write_bytes(path, proto.SerializeToString())  # atomic, and a full disk is a DiskFullError naming the folder
    return path
