"""TensorFlow SavedModel exporter: PyTorch -> ONNX -> Keras (onnx2tf) -> `<stem>_saved_model/`.

The folder holds the SavedModel (signature `serving_default`: `images` NHWC float32, batch free -> `output0`
probabilities) and `metadata.yaml`; `keras=True` adds the Keras model as `keras_model.h5`.
"""

from __future__ import annotations

from pathlib import Path

from .. import metadata as md_io
from .._tf import SIGNATURE
from . import _onnx2tf
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="saved_model", title="TensorFlow SavedModel", suffix="_saved_model", is_dir=True, extra="tensorflow",
    requires=_onnx2tf.TF_REQUIRES, fix=_onnx2tf.TF_FIX,
    options=frozenset({"imgsz", "keras", "batch", "simplify", "opset", "device"}), cost_s=12.0,
)
KERAS_FILE = "keras_model.h5"  # .h5 saves in ~4 s; the .keras format took 40 s for yolov8n-cls here


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    km = _onnx2tf.keras_model(ctx)
    _onnx2tf.save_saved_model(km, ctx.path, ctx.imgsz)
    if ctx.opts.keras:
        km.save(str(ctx.path / KERAS_FILE))
    _onnx2tf.mark_nhwc(ctx)
    ctx.metadata["signature"] = {"name": SIGNATURE, "input": _onnx2tf.INPUT_NAME,
                                 "output": _onnx2tf.OUTPUT_NAME}
    if ctx.opts.keras:
        ctx.metadata["keras_model"] = KERAS_FILE
    md_io.write_metadata_file(ctx.path, ctx.metadata)
    return ctx.path
