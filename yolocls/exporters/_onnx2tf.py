"""PyTorch -> ONNX -> TensorFlow (Keras) through onnx2tf, offline; shared by the TensorFlow-family exporters.

Two onnx2tf traps shape this module (../shared/BACKENDS.md, trap 5): onnx2tf downloads a calibration file from
GitHub when the ONNX input has a static batch <= 20, and when it quantises without calibration data. So the
ONNX given to it has a dynamic batch axis (height and width stay static), and onnx2tf only builds the Keras
model (`disable_model_save`): SavedModel, GraphDef and TFLite files are written here from that model, and
int8 calibration uses the user's images. TensorFlow is imported through `import_tf()` (paddle first, tf_keras as
its Keras).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .._backends import gc_paused, import_tensorflow
from .._tf import SIGNATURE, nhwc_preprocess
from ._blocks import TENSOR_PREFIX
from ._context import ExportContext

INPUT_NAME = "images"
OUTPUT_NAME = "output0"
# tf_keras goes in with --no-deps (it declares the full `tensorflow` wheel), which an extra cannot say.
TF_FIX = "bash scripts/install.sh, or: pip install 'yolocls[tensorflow]' && pip install --no-deps tf_keras==2.21.0"
TF_REQUIRES = ("tensorflow", "tf_keras", "onnx2tf", "onnx_graphsurgeon", "onnx", "onnxruntime")


def import_tf() -> Any:
    """TensorFlow for the exporters, with tf_keras (Keras 2) as its Keras: onnx2tf sets TF_USE_LEGACY_KERAS=1
    when it is imported anyway; set before TensorFlow's own import, TensorFlow does not load Keras 3, which
    imports scikit-learn (~1.3 s of a ~7 s import here)."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    return import_tensorflow()


def tf_versions() -> dict[str, str]:
    import onnx2tf

    tf = import_tf()
    return {"tensorflow": tf.__version__, "onnx2tf": onnx2tf.__version__}


def onnx_for_tf(ctx: ExportContext, softmax: bool = True) -> Path:
    """The model as ONNX with a dynamic batch axis and static H/W; `softmax=False` ends at the logits. The block
    outputs (`_blocks`) are extra graph outputs after `output0`, so the Keras model has them as outputs too."""
    import onnx

    key = f"onnx_for_tf_{softmax}"
    if key in ctx._cache:
        return ctx._cache[key]
    proto = onnx.load(str(ctx.onnx_file(dynamic=False, batch=1, block_outputs=True)))
    graph = proto.graph
    if not softmax:
        last = next(n for n in graph.node if graph.output[0].name in n.output)
        if last.op_type != "Softmax":
            raise RuntimeError(f"expected the ONNX graph to end in Softmax, found {last.op_type}")
        logits = last.input[0]
        for o in [o for o in graph.output if o.name == logits]:  # the logits are the output itself now
            graph.output.remove(o)
        producer = next(n for n in graph.node if logits in n.output)
        producer.output[list(producer.output).index(logits)] = graph.output[0].name
        graph.node.remove(last)
    for value in (graph.input[0], *graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "batch"
    del graph.value_info[:]  # static shapes inferred for batch 1
    onnx.checker.check_model(proto)
    path = ctx.workdir / f"tf_{'probs' if softmax else 'logits'}.onnx"
    onnx.save(proto, str(path))
    ctx._cache[key] = path
    return path


# Keras models converted in this process, by the SHA-256 of their ONNX source: exporting one model to
# several TensorFlow formats in one process (`--format all`, the bench's export worker) converts it once.
_CONVERTED: OrderedDict[str, Any] = OrderedDict()
_CONVERTED_MAX = 2


def block_output_names(ctx: ExportContext, softmax: bool = True) -> list[str]:
    """The probe points the Keras model of `keras_model(ctx, softmax, blocks=True)` outputs after output0, in
    output order."""
    import onnx

    outputs = onnx.load(str(onnx_for_tf(ctx, softmax))).graph.output[1:]
    return [o.name.removeprefix(TENSOR_PREFIX) for o in outputs]


def keras_model(ctx: ExportContext, softmax: bool = True, blocks: bool = False) -> Any:
    """A tf_keras Functional model of the classifier taking NHWC float32 `images` (batch None) and returning
    the probabilities (the logits with `softmax=False`); with `blocks`, followed by the block outputs
    (`block_output_names`, NHWC where 4-D). One onnx2tf conversion serves both."""
    key = f"keras_{softmax}_{blocks}"
    if key in ctx._cache:
        return ctx._cache[key]
    km = _keras_with_blocks(ctx, softmax)
    if not blocks and len(km.outputs) > 1:
        import tf_keras

        km = tf_keras.Model(inputs=km.inputs, outputs=km.outputs[0])
    ctx._cache[key] = km
    return km


def _keras_with_blocks(ctx: ExportContext, softmax: bool) -> Any:
    key = f"keras_blocks_{softmax}"
    if key in ctx._cache:
        return ctx._cache[key]
    import_tf()
    with gc_paused():
        import onnx2tf

    src = onnx_for_tf(ctx, softmax)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    if digest in _CONVERTED:
        _CONVERTED.move_to_end(digest)
        ctx._cache[key] = _CONVERTED[digest]
        return ctx._cache[key]
    with contextlib.redirect_stdout(io.StringIO()) as log:
        try:
            km = onnx2tf.convert(input_onnx_file_path=str(src), output_folder_path=str(ctx.workdir / "onnx2tf"),
                                 not_use_onnxsim=True, disable_group_convolution=True, disable_model_save=True,
                                 verbosity="error")
        except SystemExit as e:  # onnx2tf calls sys.exit(1) on conversion errors
            raise RuntimeError(f"onnx2tf failed (exit {e.code}):\n{log.getvalue()[-3000:]}") from None
    ctx._cache[key] = _CONVERTED[digest] = km
    while len(_CONVERTED) > _CONVERTED_MAX:
        _CONVERTED.popitem(last=False)
    return km


def frozen_function(km: Any, imgsz: int, batch: int | None = None) -> Any:
    """The Keras model as a frozen concrete function (variables folded to constants).

    Converting a frozen function to TFLite takes ~1.5 s; handing the Keras model itself to the converter
    takes 15-18 s for yolov8n-cls here (it traces every layer).
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    tf = import_tf()
    spec = tf.TensorSpec([batch, imgsz, imgsz, 3], tf.float32, name=INPUT_NAME)
    return convert_variables_to_constants_v2(tf.function(lambda images: km(images)).get_concrete_function(spec))


def save_saved_model(km: Any, folder: Path, imgsz: int) -> None:
    """Write a SavedModel with one signature (SIGNATURE): {images: NHWC} -> {output0: probabilities}.

    A plain tf.Module holding the variables saves in ~1 s; saving the Keras model traces every layer (~9 s).
    """
    tf = import_tf()
    spec = tf.TensorSpec([None, imgsz, imgsz, 3], tf.float32, name=INPUT_NAME)
    module = tf.Module()
    module.weights = list(km.variables)
    module.serve = tf.function(lambda images: {OUTPUT_NAME: km(images)}, input_signature=[spec])
    tf.saved_model.save(module, str(folder), signatures={SIGNATURE: module.serve})


def mark_nhwc(ctx: ExportContext, **versions: str) -> None:
    """Record in the metadata that the artifact takes NHWC input, and the converter versions."""
    ctx.metadata["preprocess"] = nhwc_preprocess(ctx.metadata["preprocess"])
    ctx.metadata["versions"] = {**ctx.metadata["versions"], **tf_versions(), **versions}
