"""ONNX exporter: the model written by `_onnx_file.write_onnx` (TorchScript-based exporter for opsets 7-20,
dynamo for 21-23, optional onnxslim, metadata in metadata_props, onnx.checker on the result).

Input `images` (N, 3, H, W) float32 (float16 with half=True) in [0, 1], output `output0` (N, nc)
probabilities. `dynamic` makes the batch and both spatial axes symbolic (the head pools globally).
"""

from __future__ import annotations

from pathlib import Path

from ._context import ExportContext
from ._onnx_file import DEFAULT_OPSET, LEGACY_MAX_OPSET, write_onnx
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="onnx", title="ONNX", suffix=".onnx", extra="onnx", requires=("onnx", "onnxruntime"),
    options=frozenset({"imgsz", "half", "dynamic", "simplify", "opset", "batch", "device"}),
)


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
    return write_onnx(ctx.model, ctx.path, imgsz=ctx.imgsz, opset=opset, dynamic=o.dynamic,
                      simplify=o.simplify, batch=o.batch, half=o.half, metadata=ctx.metadata)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
