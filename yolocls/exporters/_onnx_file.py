"""Writing a model as ONNX: shared by the onnx exporter and every format that converts from ONNX (through
`ExportContext.onnx_file`). torch's TorchScript-based exporter for opsets 7-20 (a clean 1:1 graph on torch
2.13, 30x faster than dynamo), the dynamo exporter for opsets 21-23; optional onnxslim simplification,
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
from ..runtimes.onnx import INPUT, METADATA_KEY, OUTPUT

DEFAULT_OPSET = 17
OPSETS = range(7, 24)  # 7-20: TorchScript-based exporter; 21-23: dynamo exporter
LEGACY_MAX_OPSET = 20


def _torch_export(m: Any, x: Any, path: Path, opset: int, dynamic: bool) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice; dynamo's chatter
        if opset <= LEGACY_MAX_OPSET:
            axes = {INPUT: {0: "batch", 2: "height", 3: "width"}, OUTPUT: {0: "batch"}} if dynamic else None
            torch.onnx.export(m, x, str(path), dynamo=False, opset_version=opset, input_names=[INPUT],
                              output_names=[OUTPUT], dynamic_axes=axes, do_constant_folding=True)
        else:
            d = torch.export.Dim
            shapes = {"x": {0: d("batch", min=1, max=4096), 2: d.AUTO, 3: d.AUTO}} if dynamic else None
            torch.onnx.export(m, (x,), str(path), dynamo=True, opset_version=opset, input_names=[INPUT],
                              output_names=[OUTPUT], dynamic_shapes=shapes, external_data=False,
                              verbose=False)


def metadata_props(metadata: dict[str, Any]) -> dict[str, str]:
    """The metadata_props entries: the whole metadata as JSON under `yolocls`, plus the keys other tools read."""
    return {METADATA_KEY: md_io.dumps(metadata), "names": str(metadata["names"]), "imgsz": str(metadata["imgsz"]),
            "batch": str(metadata["batch"]), "task": "classify", "stride": str(metadata.get("stride", 32))}


def write_onnx(model: Any, path: Path, *, imgsz: int, opset: int | None = None, dynamic: bool = False,
               simplify: bool = True, batch: int = 1, half: bool = False,
               metadata: dict[str, Any] | None = None) -> Path:
    """Export `model` (eval, fp32; left unchanged) to `path` and check it; returns `path`."""
    import onnx
    import torch

    opset = int(opset or DEFAULT_OPSET)
    if opset not in OPSETS:
        raise ConfigError(f"opset={opset} is not supported; use {OPSETS.start}-{OPSETS.stop - 1} (default {DEFAULT_OPSET})")
    # half: fold BatchNorm in fp32 first (halves the fp16 error: max |dp| 2.5e-3 instead of 4.9e-3 on digits)
    m = copy.deepcopy(model).fuse().half() if half else model
    x = torch.zeros(batch, 3, imgsz, imgsz, dtype=torch.float16 if half else torch.float32)
    _torch_export(m, x, path, opset, dynamic)
    proto = onnx.load(str(path))
    if simplify:
        try:
            import onnxslim
        except ImportError:
            warnings.warn("simplify=True but onnxslim is not installed; exporting unsimplified "
                          "(pip install 'yolocls[onnx]')", stacklevel=2)
        else:
            proto = onnxslim.slim(proto)
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
