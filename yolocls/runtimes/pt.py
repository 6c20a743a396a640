"""The PyTorch checkpoint as a runtime: the reference every other format is compared with.

Eager PyTorch by default (the reference of parity checks and the bench's `pt` row). With `fast=True` (what
`YOLO("best.pt").predict` asks for unless `eager=True`) it runs the model through an in-memory ONNX Runtime
session built from it once (`_pt_ort`), and falls back to eager, with the reason logged at debug level, where
that session cannot be built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._cpu import free_cores
from . import _pt_ort
from ._base import Runtime, check_device
from ._registry import register_runtime


@register_runtime
class PyTorchRuntime(Runtime):
    name = "pt"
    suffixes = (".pt", ".pth")
    content = "checkpoint"

    def __init__(self, path: str | Path | None = None, device: str = "cpu", model: Any = None, **options: Any):
        """Options: `fast` (run through the cached ONNX Runtime session where it can be built; default False,
        eager), `threads` (the fast path's intra-op threads; default: the cores no other process keeps busy)."""
        self._model = model  # an in-memory ClassificationModel (training's validation) instead of a file
        super().__init__(path or "<memory>", device=device, **options)

    def load(self) -> None:
        import torch

        from ..metadata import build_metadata
        from ..models import load_checkpoint, model_from_checkpoint

        self.torch = torch
        check_device(self.device)
        model = self._model
        if model is None:
            model = model_from_checkpoint(load_checkpoint(self.path))
        self.why_eager: str | None = None  # why the fast path does not run (None: it runs, or was not asked for)
        if self.options.get("fast"):
            self.why_eager = _pt_ort.unavailable_reason(model, self.device)
            if self.why_eager:
                _pt_ort.log.debug("predict runs eager PyTorch: %s", self.why_eager)
        self.model = model.to(self.torch_device).eval()
        self.metadata = build_metadata(names=model.names, imgsz=int(getattr(model, "imgsz", 224)), fmt="pt",
                                       dynamic=True, converters={"torch": torch.__version__})
        self.metadata["imgsz"] = None  # any multiple of 32 works
        self._sessions: dict[int, Any] = {}

    def _fast_session(self, imgsz: int) -> Any:
        """The ONNX Runtime session for inputs of `imgsz`, or None (eager) with the reason logged once."""
        if not self.options.get("fast") or self.why_eager is not None:
            return None
        key = imgsz
        if key not in self._sessions:
            threads = int(self.options.get("threads") or free_cores())
            session, why = _pt_ort.session_for(self.model, imgsz, threads)
            if why is not None:
                self.why_eager = why
                _pt_ort.log.debug("predict runs eager PyTorch: %s", why)
            self._sessions[key] = session
        return self._sessions[key]

    @property
    def engine(self) -> str:
        """What runs this model's forward: 'onnxruntime' (the fast path) or 'eager'."""
        return "onnxruntime" if any(s is not None for s in self._sessions.values()) else "eager"

    @property
    def torch_device(self) -> str:
        d = self.device
        if d.isdigit():
            return f"cuda:{d}"
        return d

    @property
    def imgsz(self) -> int:
        return int(getattr(self.model, "imgsz", 224))

    def version(self) -> str:
        return self.torch.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        session = self._fast_session(x.shape[2]) if x.shape[2] == x.shape[3] else None
        if session is not None:
            return session.run(None, {_pt_ort.INPUT: np.ascontiguousarray(x, dtype=np.float32)})[0]
        with self.torch.inference_mode():
            y = self.model(self.torch.from_numpy(x).to(self.torch_device))
        return y.float().cpu().numpy()

    @property
    def block_map(self) -> list[dict[str, Any]]:
        """Every probe point of the model (depth 2), each its own module: the reference side of `yolocls diff`."""
        if getattr(self, "_block_map", None) is None:
            from ..models.probes import block_points

            points = block_points(self.model, depth=2, imgsz=self.imgsz)
            last = [p for p in points if p.depth == 1][-1]
            self._block_map = [{**p.to_dict(), "tensor": None if p == last else p.name, "layout": "NCHW",
                                **({"output": True} if p == last else {})} for p in points]
        return self._block_map

    def forward_blocks(self, x: np.ndarray, entries: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        from ..models.probes import capture

        with self.torch.inference_mode():
            _, outs = capture(self.model, self.torch.from_numpy(x).to(self.torch_device), [e["tensor"] for e in entries])
        return {e["name"]: o.float().cpu().numpy() for e, o in zip(entries, outs, strict=True)}
