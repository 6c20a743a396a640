"""Core ML backend for `.mlpackage`: predicts on macOS; elsewhere it loads and checks the package only."""

from __future__ import annotations

import sys

import numpy as np

from .. import metadata as md_io
from ..errors import MetadataError, MissingDependencyError, PlatformNotSupportedError
from ._base import Runtime
from ._registry import register_runtime

# The package's layout: tensor names, and the user-defined metadata key holding the whole metadata as JSON.
INPUT, OUTPUT = "images", "output0"
METADATA_KEY = "yolocls"


def _shape(feature) -> list[int]:
    return [int(d) for d in feature.type.multiArrayType.shape]


@register_runtime
class CoreMLRuntime(Runtime):
    """Options: `compute_units` (macOS: all | cpu_only | cpu_and_gpu | cpu_and_ne; default all)."""

    name = "coreml"
    suffixes = (".mlpackage",)
    extra = "coreml"
    runs_on = "macos"

    @classmethod
    def unavailable_reason(cls, device: str = "cpu") -> str | None:
        return None if sys.platform == "darwin" else f"Core ML prediction runs only on macOS (this is {sys.platform})"

    def load(self) -> None:
        from .._backends import import_coremltools

        try:
            self.ct = ct = import_coremltools()  # without its TensorFlow/sklearn/ExecuTorch probes
        except ImportError:
            raise MissingDependencyError(self.name, "coremltools", self.extra) from None
        self.on_macos = self.unavailable_reason(self.device) is None
        units = getattr(ct.ComputeUnit, str(self.options.get("compute_units", "all")).upper())
        # Off macOS there is no Core ML framework to compile the model with: read the spec only.
        self.model = ct.models.MLModel(str(self.path), compute_units=units, skip_model_load=not self.on_macos)
        spec = self.model.get_spec()
        user = dict(spec.description.metadata.userDefined)
        if METADATA_KEY not in user:
            raise MetadataError(f"'{self.path}' has no yolocls user metadata; re-export it with yolocls")
        self.metadata = md_io.loads(user[METADATA_KEY])
        self.check_io(spec)

    def check_io(self, spec) -> None:
        """The package's input/output description must be the one our exporter writes."""
        ins, outs = list(spec.description.input), list(spec.description.output)
        b, (h, w), nc = self.batch, self.metadata["imgsz"], len(self.names)
        problems = []
        if [f.name for f in ins] != [INPUT] or _shape(ins[0]) != [b, 3, h, w]:
            problems.append(f"input {[(f.name, _shape(f)) for f in ins]} (expected [('{INPUT}', {[b, 3, h, w]})])")
        if [f.name for f in outs] != [OUTPUT] or _shape(outs[0]) not in ([], [b, nc]):
            problems.append(f"output {[(f.name, _shape(f)) for f in outs]} (expected [('{OUTPUT}', {[b, nc]})])")
        if problems:
            raise MetadataError(f"'{self.path}' does not match its metadata: {'; '.join(problems)}")

    @property
    def input_shape(self) -> list[int]:
        return _shape(self.model.get_spec().description.input[0])

    def version(self) -> str:
        return self.ct.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.on_macos:
            raise PlatformNotSupportedError(self.name, self.unavailable_reason(self.device))
        return np.asarray(self.model.predict({INPUT: x})[OUTPUT], dtype=np.float32)

