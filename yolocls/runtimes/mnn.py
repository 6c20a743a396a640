"""MNN backend for `<stem>.mnn` (fp32, fp16 weights or full int8), through MNN's `nn` module API.

The file is the whole artifact: the yolocls metadata is the model's bizCode (MNN's own model-flag string).
Only `MNN` and `MNN.nn`/`MNN.expr` are imported: `MNN.tools` (the converter wrappers) imports a logger that
pip-installs a package and reports usage to a remote service (see yolocls.exporters.mnn).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import metadata as md_io
from ..errors import ConfigError
from ._base import Runtime
from ._registry import register_runtime
from .onnx import INPUT, OUTPUT  # the converted ONNX graph keeps its tensor names

# The artifact's layout, shared with the exporter.
SUFFIX = ".mnn"
PRECISIONS = ("normal", "high", "low")  # MNN's compute precision; normal and high are fp32 on CPU


def read_metadata(info: dict[str, Any], path: Path) -> dict[str, Any]:
    """The yolocls metadata held in a loaded model's bizCode."""
    try:
        return md_io.loads(info.get("bizCode") or "")
    except Exception:
        raise ValueError(f"'{path}' has no yolocls metadata in its bizCode; re-export it with: yolocls export "
                         f"model=best.pt format=mnn") from None


@register_runtime
class MNNRuntime(Runtime):
    """Options: `threads` (default: every core), `precision` (normal | high | low; default normal, fp32 on
    CPU; low lets MNN compute in fp16 where the CPU has it, as on ARMv8.2, and is fp32 on x86)."""

    name = "mnn"
    backend_modules = ("MNN",)
    suffixes = (SUFFIX,)
    extra = "mnn"

    def load(self) -> None:
        self.mnn = MNN = self.require("MNN")
        precision = str(self.options.get("precision") or "normal").lower()
        if precision not in PRECISIONS:
            raise ConfigError(f"mnn precision='{precision}' is not valid; use one of {', '.join(PRECISIONS)}")
        threads = int(self.options.get("threads") or os.cpu_count() or 1)
        config = {"backend": "CPU", "numThread": threads, "precision": precision}
        manager = MNN.nn.create_runtime_manager((config,))
        self.net = MNN.nn.load_module_from_file(str(self.path), [INPUT], [OUTPUT],
                                                runtime_manager=manager, rearrange=True)
        if self.net is None:
            raise ValueError(f"MNN could not read '{self.path}' (corrupt, or written by a newer MNN)")
        self.metadata = read_metadata(self.net.get_info(), self.path)

    def version(self) -> str:
        return self.mnn.version()

    def forward(self, x: np.ndarray) -> np.ndarray:
        var = self.mnn.expr.const(x, list(x.shape), self.mnn.expr.NCHW)
        out = self.net.onForward([var])
        if not out:
            raise RuntimeError(f"MNN returned no output for '{self.path}'")
        return np.array(out[0].read(), dtype=np.float32, copy=True).reshape(len(x), -1)  # MNN reuses its buffer
