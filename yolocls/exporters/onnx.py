"""ONNX exporter: the model written by `_onnx_file.write_onnx` (TorchScript-based exporter for opsets 7-20,
dynamo for 21-23, simplified by `_onnx_simplify` (onnxslim where it has work), metadata in metadata_props, onnx.checker on the result).

Input `images` (N, 3, H, W) float32 (float16 with half=True) in [0, 1], output `output0` (N, nc)
probabilities. `dynamic` makes the batch and both spatial axes symbolic (the head pools globally).
`int8` quantises to static QDQ int8 calibrated on `data` (see `_ort_quantize`); its Softmax stays float, and
so do the top-level blocks `keep_float` names.
"""

from __future__ import annotations

from pathlib import Path

from ..runtimes.onnx import DEFAULT_OPSET, OUTPUT
from ._blocks import check_keep_float, keep_float_entries, record, tensor_name
from ._context import ExportContext
from ._onnx_file import LEGACY_MAX_OPSET, block_tensors, save_checked, write_onnx
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="onnx", title="ONNX", suffix=".onnx", extra="onnx", requires=("onnx", "onnxruntime"),
    options=frozenset({"imgsz", "half", "int8", "data", "fraction", "dynamic", "simplify", "opset", "batch",
                       "device", "keep_float"}),
)


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import onnx
    import torch

    o = ctx.opts
    opset = int(o.opset or DEFAULT_OPSET)
    versions = {**ctx.metadata["versions"], "torch": str(torch.__version__), "onnx": onnx.__version__,
                "opset": opset, "onnx_exporter": "torchscript" if opset <= LEGACY_MAX_OPSET else "dynamo"}
    ctx.metadata.update(precision=o.precision, dynamic=o.dynamic, versions=versions)
    ctx.metadata["preprocess"]["dtype"] = "float16" if o.half else "float32"  # what `images` takes
    if o.int8:
        return _export_int8(ctx, opset)
    # The fused model gives the same graph as the unfused one (torch's exporter folds BatchNorm in eval mode),
    # with the weights named after their modules, and exports in 2/3 of the time.
    return write_onnx(ctx.fused_model(), ctx.path, imgsz=ctx.imgsz, opset=opset, dynamic=o.dynamic,
                      simplify=o.simplify, batch=o.batch, half=o.half, metadata=ctx.metadata)


def _export_int8(ctx: ExportContext, opset: int) -> Path:
    """The fp32 export, quantised to int8 QDQ on calibration images, with the metadata written last."""
    import onnx

    from ._ort_quantize import CALIBRATION_IMAGES, quantize_qdq

    o = ctx.opts
    keep, points = list(o.keep_float or []), ctx.block_points()
    blocks = check_keep_float(points, keep)
    images, calibration = ctx.calibration_images(CALIBRATION_IMAGES)
    fp32 = write_onnx(ctx.model, ctx.workdir / "fp32.onnx", imgsz=ctx.imgsz, opset=opset, dynamic=o.dynamic,
                      simplify=o.simplify, batch=o.batch, points=points)
    quantized = ctx.workdir / "int8.onnx"
    ends = [(p.index, tensor_name(p.name)) for p in blocks[:-1]] + [(blocks[-1].index, OUTPUT)]
    done = quantize_qdq(fp32, quantized, images, batch=1 if o.dynamic else o.batch, blocks=ends, keep_float=keep)
    ctx.metadata["versions"]["onnxruntime"] = done.pop("onnxruntime")
    ctx.metadata["quantization"] = {**done, "calibration": calibration, "keep_float": keep_float_entries(points, keep)}
    proto = onnx.load(str(quantized))  # the block tensors keep their names: each is float, before its quantiser
    record(ctx.metadata, points, block_tensors(proto, points), how="named ONNX tensors (graph outputs at export)")
    return save_checked(proto, ctx.path, ctx.metadata)

