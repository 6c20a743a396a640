"""TensorFlow frozen GraphDef exporter: `<stem>.pb`, variables folded into constants.

GraphDef has no metadata field, and a file beside it would not move with it, so the metadata travels inside
the graph as an unconnected string constant named `yolocls_metadata` (pruned away at run time). The input
and output tensor names are in that metadata.
"""

from __future__ import annotations

from pathlib import Path

from .. import metadata as md_io
from .._io import write_bytes
from ..runtimes.pb import METADATA_NODE
from . import _onnx2tf
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="pb", title="TensorFlow GraphDef", suffix=".pb", extra="tensorflow", requires=_onnx2tf.TF_REQUIRES,
    fix=_onnx2tf.TF_FIX, options=frozenset({"imgsz", "batch", "simplify", "opset", "device"}), cost_s=1.8,
)


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    tf = _onnx2tf.import_tf()
    frozen = _onnx2tf.frozen_function(_onnx2tf.keras_model(ctx), ctx.imgsz)
    _onnx2tf.mark_nhwc(ctx)
    ctx.metadata["graph"] = {"input": frozen.inputs[0].name, "output": frozen.outputs[0].name}
    graph_def = frozen.graph.as_graph_def()
    node = graph_def.node.add(name=METADATA_NODE, op="Const")
    node.attr["dtype"].type = tf.string.as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(md_io.dumps(ctx.metadata)))
    write_bytes(ctx.path, graph_def.SerializeToString())
    return ctx.path
