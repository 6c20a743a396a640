"""ExecuTorch backend for `<stem>_executorch_model/` (model.pte + metadata.yaml), through ExecuTorch's C++
runtime with the XNNPACK delegate.

PyTorch is needed here, unlike the other deployment runtimes: the `executorch` pip wheel's Python bindings
link libtorch (`_C` needs libtorch.so, libc10.so and libtorch_python.so), so `import torch` must come first.
On a phone the .pte runs in ExecuTorch's C++/Java/Swift runtimes without PyTorch; only the Python runtime
needs it. The bindings are imported directly rather than through `executorch.runtime`, whose import also
loads the ExecuTorch compiler (`executorch.exir`): 6.7 s instead of 1.9 s here, for the same C++ calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import metadata as md_io
from ..errors import MissingDependencyError
from ._base import Runtime
from ._registry import register_runtime

# The artifact's layout, shared with the exporter.
SUFFIX = "_executorch_model"
PROGRAM_FILE = "model.pte"
METHOD = "forward"


def program_file(path: Path) -> Path:
    """The .pte of an artifact given as its folder or as the .pte itself."""
    return path if path.suffix == ".pte" else path / PROGRAM_FILE


def import_bindings() -> tuple[Any, Any]:
    """(torch, executorch's C++ runtime bindings)."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("executorch", "torch", hint="pip install torch (the executorch pip wheel's "
                                     "Python runtime links libtorch); then pip install 'yolocls[executorch]'") from None
    try:
        from executorch.extension.pybindings import _C
    except ImportError:
        raise MissingDependencyError("executorch", "executorch", "executorch") from None
    return torch, _C


@register_runtime
class ExecuTorchRuntime(Runtime):
    """Options: `threads` (XNNPACK's thread pool size; default: ExecuTorch's, one per core)."""

    name = "executorch"
    backend_modules = ("torch", "executorch.extension.pybindings._C")  # torch first: _C links libtorch
    suffixes = (SUFFIX, ".pte")
    extra = "executorch"

    @classmethod
    def matches(cls, path: Path) -> bool:
        return path.is_file() if path.suffix == ".pte" else super().matches(path) and path.is_dir()

    def load(self) -> None:
        pte = program_file(self.path)
        if not pte.is_file():
            raise FileNotFoundError(f"'{pte}' is missing; re-export with: yolocls export model=best.pt format=executorch")
        self.metadata = md_io.read_metadata_file(pte.parent)
        self.torch, self._c = import_bindings()
        if self.options.get("threads"):
            self._c._unsafe_reset_threadpool(int(self.options["threads"]))  # no method runs yet: safe here
        self.program = self._c._load_program(str(pte), enable_etdump=False, debug_buffer_size=0,
                                             program_verification=self._c.Verification.InternalConsistency)
        self.method = self.program.load_method(METHOD)

    @property
    def dynamic(self) -> bool:
        return False

    def version(self) -> str:
        from importlib.metadata import version

        return version("executorch")

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.method([self.torch.from_numpy(x)])
        return out[0].numpy().reshape(len(x), -1)
