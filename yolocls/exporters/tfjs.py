"""TF.js exporter: PyTorch -> ONNX -> Keras (onnx2tf) -> SavedModel -> `<stem>_web_model/` (graph model).

The folder holds model.json, the weight shards and metadata.yaml. The tensorflowjs converter is called
in-process: its console script dies on imports of packages installed without their dependencies
(tensorflow_decision_forests, tensorflow_hub: ../shared/BACKENDS.md trap 2), so two empty stand-ins are put
in sys.modules first; the converter never calls into either for a plain graph model.
`half` stores the weights as float16, `int8` as affine uint8; both are dequantised to float32 when loaded.
"""

from __future__ import annotations

import contextlib
import io
import sys
import types
from pathlib import Path

from .. import metadata as md_io
from .._backends import gc_paused
from .._tf import SIGNATURE
from . import _onnx2tf
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="tfjs", title="TensorFlow.js", suffix="_web_model", is_dir=True, extra="tfjs",
    requires=(*_onnx2tf.TF_REQUIRES, "tensorflowjs", "jax"),
    fix="bash scripts/install.sh, or: pip install 'yolocls[tfjs]' && pip install --no-deps tf_keras==2.21.0 "
        "tensorflowjs==4.22.0",
    options=frozenset({"imgsz", "half", "int8", "batch", "simplify", "opset", "device"}),
    note="runs in Node.js with @tensorflow/tfjs + the wasm backend (python -m yolocls.runtimes.tfjs_setup)",
    cost_s=1.7,
)
STUBBED = ("tensorflow_decision_forests", "tensorflow_hub")


def import_converter() -> types.ModuleType:
    """tensorflowjs' SavedModel converter, imported with stand-ins for the two modules it only imports."""
    _onnx2tf.import_tf()
    for name in STUBBED:
        if name not in sys.modules:
            sys.modules[name] = types.ModuleType(name)
    with gc_paused():
        from tensorflowjs.converters import tf_saved_model_conversion_v2

    return tf_saved_model_conversion_v2


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    conv = import_converter()
    saved = ctx.workdir / "saved_model"
    _onnx2tf.save_saved_model(_onnx2tf.keras_model(ctx), saved, ctx.imgsz)
    dtype_map = {"float16": "*"} if ctx.opts.half else {"uint8": "*"} if ctx.opts.int8 else None
    with contextlib.redirect_stdout(io.StringIO()):  # one line per int64 weight it narrows to int32
        conv.convert_tf_saved_model(str(saved), str(ctx.path), signature_def=SIGNATURE,
                                    saved_model_tags="serve", quantization_dtype_map=dtype_map)
    _onnx2tf.mark_nhwc(ctx, tensorflowjs=sys.modules["tensorflowjs"].__version__)
    ctx.metadata["signature"] = {"input": _onnx2tf.INPUT_NAME, "output": _onnx2tf.OUTPUT_NAME}
    if dtype_map:
        ctx.metadata["quantization"] = {"scheme": "weights only", "weights": next(iter(dtype_map)),
                                        "compute": "float32"}
    md_io.write_metadata_file(ctx.path, ctx.metadata)
    return ctx.path
