"""TFLite exporter: `<stem>.tflite` in fp32, fp16 weights (`half`) or full-integer int8 (`int8`).

int8 is post-training quantisation calibrated on real images (`data`, `fraction`). Its graph ends at the
logits and the runtime applies softmax in float (metadata `output.softmax_in_graph: false`): an int8 softmax
output has steps of 1/256 and zeroes every class of a many-class model. `int8_io` makes the input and output
tensors int8 (else float, with quantise/dequantise inside); `per_channel=False` quantises weights per tensor.
The metadata rides inside the file as a zip appended to the flatbuffer (TFLite's associated-file convention).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from .._io import write_with
from ..runtimes.tflite import METADATA_FILE
from . import _onnx2tf
from ._blocks import nhwc_layouts, record
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter
from ._tflite_outputs import drop_extra_outputs

SPEC = ExporterSpec(
    name="tflite", title="TensorFlow Lite", suffix=".tflite", extra="tensorflow",
    requires=(*_onnx2tf.TF_REQUIRES, "ai_edge_litert"), fix=_onnx2tf.TF_FIX,
    options=frozenset({"imgsz", "half", "int8", "data", "fraction", "batch", "int8_io", "per_channel", "simplify",
                       "opset", "device"}), cost_s=2.5,
)
CALIBRATION_IMAGES = 256


def convert(ctx: ExportContext, *, int8: bool, half: bool = False, int8_io: bool = False,
            per_channel: bool = True, blocks: bool = True) -> bytes:
    """The TFLite flatbuffer of ctx's model (static batch `ctx.opts.batch`); updates ctx.metadata to match.

    `blocks`: convert with the block outputs as extra outputs, then drop them again (`_tflite_outputs`) and
    record each one's tensor index in the block map; without it, the metadata says the map is absent."""
    tf = _onnx2tf.import_tf()
    km = _onnx2tf.keras_model(ctx, softmax=not int8, blocks=blocks)
    frozen = _onnx2tf.frozen_function(km, ctx.imgsz, ctx.opts.batch)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if half:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    if int8:
        images, calibration = ctx.calibration_images(CALIBRATION_IMAGES)
        nhwc = images.transpose(0, 2, 3, 1)

        def representative() -> Any:
            for i in range(len(nhwc)):
                yield [nhwc[i:i + 1]]

        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = conv.inference_output_type = tf.int8 if int8_io else tf.float32
        conv._experimental_disable_per_channel = not per_channel  # the converter's only per-tensor switch
        ctx.metadata["quantization"] = {
            "scheme": "full-integer post-training", "weights": "per-channel" if per_channel else "per-tensor",
            "io": "int8" if int8_io else "float32", "calibration": calibration}
        ctx.metadata["output"] = {"kind": "logits", "softmax_in_graph": False}
    _onnx2tf.mark_nhwc(ctx)
    ctx.metadata["precision"] = "int8" if int8 else "fp16" if half else "fp32"
    flatbuffer = conv.convert()
    if not blocks:
        record(ctx.metadata, ctx.block_points(), {}, how="none", note="exported without a block map")
        return flatbuffer
    names = _onnx2tf.block_output_names(ctx, softmax=not int8)
    flatbuffer, where = drop_extra_outputs(flatbuffer, names)
    shapes = dict(zip(names, (o.shape for o in km.outputs[1:]), strict=True))
    layouts, _ = nhwc_layouts(ctx.block_points(), shapes)
    record(ctx.metadata, ctx.block_points(), {n: where[n] for n in layouts}, layouts=layouts,
           how="tensor indices (read with experimental_preserve_all_tensors)")
    return flatbuffer


def write_tflite(path: Path, flatbuffer: bytes, metadata: dict[str, Any]) -> Path:
    """Write the model with the metadata appended as a zip (the interpreter ignores trailing bytes), atomically."""

    def write(tmp: Path) -> None:
        tmp.write_bytes(flatbuffer)
        with zipfile.ZipFile(tmp, "a", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(METADATA_FILE, md_io.dumps(metadata))

    return write_with(path, write)


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    o = ctx.opts
    fb = convert(ctx, int8=o.int8, half=o.half, int8_io=o.int8_io, per_channel=o.per_channel)
    return write_tflite(ctx.path, fb, ctx.metadata)
