"""TorchScript backend (needs torch, nothing else); also loads the lite-interpreter files of optimize=True."""

from __future__ import annotations

import warnings

import numpy as np

from .. import metadata as md_io
from ..errors import MetadataError
from ._base import Runtime, check_device
from ._registry import register_runtime

METADATA_FILE = "metadata.json"  # the module's extra file holding the yolocls metadata (the artifact's layout)

@register_runtime
class TorchScriptRuntime(Runtime):
    name = "torchscript"
    backend_modules = ("torch",)
    suffixes = (".torchscript", ".torchscript.pt")
    content = "torchscript"

    def load(self) -> None:
        import torch

        self.torch = torch
        check_device(self.device)
        extra = {METADATA_FILE: ""}
        dev = f"cuda:{self.device}" if self.device.isdigit() else self.device
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated for torch.export
            self.module = torch.jit.load(str(self.path), map_location=dev, _extra_files=extra).eval()
        self.dev = dev
        if not extra[METADATA_FILE]:
            raise MetadataError(f"'{self.path}' has no yolocls metadata extra file; re-export it with yolocls")
        self.metadata = md_io.loads(extra[METADATA_FILE])
        self.dtype = torch.float16 if self.metadata.get("precision") == "fp16" else torch.float32

    def version(self) -> str:
        return self.torch.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            return self.module(self.torch.from_numpy(x).to(self.dev, self.dtype)).float().cpu().numpy()

    def forward_blocks(self, x: np.ndarray, entries: list[dict]) -> dict[str, np.ndarray]:
        """The network is a chain of top-level blocks, each a submodule of the traced module (the block map names
        them): call them in turn on the input, as the module's own forward does, and keep each output."""
        wanted = {e["name"] for e in entries}
        chain = [e for e in self.block_map if e["depth"] == 1 and e.get("tensor")]
        out = {}
        with self.torch.inference_mode():
            y = self.torch.from_numpy(x).to(self.dev, self.dtype)
            for e in chain:
                y = _submodule(self.module, e["tensor"])(y)
                if e["name"] in wanted:
                    out[e["name"]] = y.float().cpu().numpy()
        return out


def _submodule(module, path: str):
    """`module.model.3` from 'model.3' (a loaded ScriptModule has no get_submodule)."""
    for part in path.split("."):
        module = getattr(module, part)
    return module
