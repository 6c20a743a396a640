"""ONNX exporter: torch's TorchScript-based exporter for opsets 7-20 (a clean 1:1 graph on torch 2.13, 30x
faster than dynamo), the dynamo exporter for opsets 21-23; optional onnxslim simplification, metadata in
metadata_props, and onnx.checker on the result.

Input `images` (N, 3, H, W) float32 (float16 with half=True) in [0, 1], output `output0` (N, nc)
probabilities. `dynamic` makes the batch and both spatial axes symbolic (the head pools globally).
`int8` quantises to static QDQ int8 calibrated on `data` (see `_ort_quantize`); its Softmax stays float.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from ..errors import ConfigError
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="onnx", title="ONNX", suffix=".onnx", extra="onnx", requires=("onnx", "onnxruntime"),
    options=frozenset({"imgsz", "half", "int8", "data", "fraction", "dynamic", "simplify", "opset", "batch",
                       "device"}),
)
DEFAULT_OPSET = 17
OPSETS = range(7, 24)  # 7-20: TorchScript-based exporter; 21-23: dynamo exporter
LEGACY_MAX_OPSET = 20
METADATA_KEY = "yolocls"


def _torch_export(m: Any, x: Any, path: Path, opset: int, dynamic: bool) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice; dynamo's chatter
        if opset <= LEGACY_MAX_OPSET:
            axes = {"images": {0: "batch", 2: "height", 3: "width"}, "output0": {0: "batch"}} if dynamic else None
            torch.onnx.export(m, x, str(path), dynamo=False, opset_version=opset, input_names=["images"],
                              output_names=["output0"], dynamic_axes=axes, do_constant_folding=True)
        else:
            d = torch.export.Dim
            shapes = {"x": {0: d("batch", min=1, max=4096), 2: d.AUTO, 3: d.AUTO}} if dynamic else None
            torch.onnx.export(m, (x,), str(path), dynamo=True, opset_version=opset, input_names=["images"],
                              output_names=["output0"], dynamic_shapes=shapes, external_data=False,
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
    if metadata is not None:
        del proto.metadata_props[:]
        for k, v in metadata_props(metadata).items():
            proto.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(path))
    return path


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import onnx
    import torch

    o = ctx.opts
    opset = int(o.opset or DEFAULT_OPSET)
    versions = {**ctx.metadata["versions"], "torch": str(torch.__version__), "onnx": onnx.__version__,
                "opset": opset, "onnx_exporter": "torchscript" if opset <= LEGACY_MAX_OPSET else "dynamo"}
    if o.simplify and _has("onnxslim"):
        import onnxslim

        versions["onnxslim"] = onnxslim.__version__
    ctx.metadata.update(precision=o.precision, dynamic=o.dynamic, versions=versions)
    ctx.metadata["preprocess"]["dtype"] = "float16" if o.half else "float32"  # what `images` takes
    if o.int8:
        return _export_int8(ctx, opset)
    return write_onnx(ctx.model, ctx.path, imgsz=ctx.imgsz, opset=opset, dynamic=o.dynamic,
                      simplify=o.simplify, batch=o.batch, half=o.half, metadata=ctx.metadata)


def _export_int8(ctx: ExportContext, opset: int) -> Path:
    """The fp32 export, quantised to int8 QDQ on calibration images, with the metadata written last."""
    import onnx

    from ._ort_quantize import CALIBRATION_IMAGES, quantize_qdq

    o = ctx.opts
    images, record = ctx.calibration_images(CALIBRATION_IMAGES)
    fp32 = write_onnx(ctx.model, ctx.workdir / "fp32.onnx", imgsz=ctx.imgsz, opset=opset, dynamic=o.dynamic,
                      simplify=o.simplify, batch=o.batch)
    quantized = ctx.workdir / "int8.onnx"
    done = quantize_qdq(fp32, quantized, images, batch=1 if o.dynamic else o.batch)
    ctx.metadata["versions"]["onnxruntime"] = done.pop("onnxruntime")
    ctx.metadata["quantization"] = {**done, "calibration": record}
    proto = onnx.load(str(quantized))
    del proto.metadata_props[:]
    for k, v in metadata_props(ctx.metadata).items():
        proto.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(ctx.path))
    return ctx.path


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
