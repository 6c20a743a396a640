"""TensorFlow frozen GraphDef backend: the graph pruned to its input -> output, metadata from its constant."""

from __future__ import annotations

import numpy as np

from .. import metadata as md_io
from .._tf import batch_is_free, import_backend, load_tensorflow, to_layout
from ..errors import MetadataError
from ._base import Runtime
from ._registry import register_runtime

METADATA_NODE = "yolocls_metadata"  # an unconnected string constant holding the metadata (the artifact's layout)


@register_runtime
class GraphDefRuntime(Runtime):
    name = "pb"
    suffixes = (".pb",)
    extra = "tensorflow"
    backend_modules = ("tensorflow",)
    import_cost_s = 4.0
    import_backend = classmethod(import_backend)

    def load(self) -> None:
        tf = self.tf = load_tensorflow(self.name)
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(self.path.read_bytes())
        node = next((n for n in graph_def.node if n.name == METADATA_NODE), None)
        if node is None:
            raise MetadataError(f"'{self.path}' has no yolocls metadata (no '{METADATA_NODE}' constant); "
                                "re-export it with yolocls")
        self.metadata = md_io.loads(tf.make_ndarray(node.attr["value"].tensor).item())
        io_names = self.metadata["graph"]
        wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
        self.fn = wrapped.prune(wrapped.graph.as_graph_element(io_names["input"]),
                                wrapped.graph.as_graph_element(io_names["output"]))
        self.free_batch = self.takes_free_batch(batch_is_free(self.fn.inputs[0].shape.as_list()))

    def version(self) -> str:
        return self.tf.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.fn(self.tf.constant(to_layout(x, self.metadata))).numpy()
