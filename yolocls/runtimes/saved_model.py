"""TensorFlow SavedModel backend: the `serving_default` signature of a `_saved_model/` folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import metadata as md_io
from .._tf import SIGNATURE, batch_is_free, import_backend, load_tensorflow, to_layout
from ._base import Runtime
from ._registry import register_runtime

SAVED_MODEL_FILE = "saved_model.pb"  # the SavedModel's graph inside its folder (not a frozen GraphDef .pb)


@register_runtime
class SavedModelRuntime(Runtime):
    name = "saved_model"
    suffixes = ("_saved_model", SAVED_MODEL_FILE)
    extra = "tensorflow"
    backend_modules = ("tensorflow",)
    import_cost_s = 4.0
    import_backend = classmethod(import_backend)

    @classmethod
    def matches(cls, path: Path) -> bool:
        """The folder, or its `saved_model.pb` given by name (a .pb that is not a frozen GraphDef)."""
        if path.name == SAVED_MODEL_FILE:
            return path.is_file()
        return path.name.rstrip("/").endswith(cls.suffixes[0])

    def load(self) -> None:
        if self.path.name == SAVED_MODEL_FILE and self.path.is_file():
            self.path = self.path.parent  # the SavedModel is the folder: its variables/ and metadata.yaml
        self.metadata = md_io.read_metadata_file(self.path)
        self.tf = load_tensorflow(self.name)
        sig = self.metadata.get("signature") or {}
        self.fn = self.tf.saved_model.load(str(self.path)).signatures[sig.get("name", SIGNATURE)]
        self.input_name = sig.get("input") or next(iter(self.fn.structured_input_signature[1]))
        self.output_name = sig.get("output") or next(iter(self.fn.structured_outputs))
        spec = self.fn.structured_input_signature[1].get(self.input_name)
        self.free_batch = self.takes_free_batch(spec is not None and batch_is_free(spec.shape))

    def version(self) -> str:
        return self.tf.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.fn(**{self.input_name: self.tf.constant(to_layout(x, self.metadata))})
        return out[self.output_name].numpy()
