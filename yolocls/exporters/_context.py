"""What every exporter receives: the model, the options, where to write, the metadata, and shared helpers."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError


@dataclass
class ExportOptions:
    """Every export option (see `OPTIONS`); an exporter reads the ones its spec declares."""

    imgsz: int | None = None  # None: the checkpoint's imgsz
    half: bool = False
    int8: bool = False
    dynamic: bool = False
    simplify: bool = True
    opset: int | None = None
    batch: int = 1
    workspace: float | None = None  # GiB (TensorRT)
    data: str | None = None  # calibration data for int8 (default: built-in digits, with a warning)
    fraction: float = 1.0  # share of the calibration split to use
    device: str = "cpu"
    optimize: bool = False  # TorchScript for mobile
    keras: bool = False  # saved_model: also write the Keras model
    per_channel: bool = True  # int8 tflite: per-channel weights (False: per-tensor)
    int8_io: bool = False  # int8 tflite: int8 input tensor instead of float
    nms: bool = False  # accepted for Ultralytics compatibility; classification has no NMS

    @classmethod
    def from_kwargs(cls, **kw: Any) -> ExportOptions:
        valid = {f.name for f in fields(cls)}
        bad = sorted(set(kw) - valid)
        if bad:
            import difflib

            hints = [f"'{b}' (did you mean '{(difflib.get_close_matches(b, valid, 1) or ['?'])[0]}'?)" for b in bad]
            raise ConfigError(f"unknown export option {', '.join(hints)}; valid: {', '.join(sorted(valid))}")
        opts = cls(**{k: v for k, v in kw.items() if v is not None or k in ("imgsz", "opset", "data", "workspace")})
        if opts.half and opts.int8:
            raise ConfigError("half=True and int8=True exclude each other; pick one precision")
        if opts.batch < 1:
            raise ConfigError(f"batch={opts.batch} must be >= 1")
        if not 0 < opts.fraction <= 1:
            raise ConfigError(f"fraction={opts.fraction} must be in (0, 1]")
        return opts

    @property
    def precision(self) -> str:
        return "int8" if self.int8 else "fp16" if self.half else "fp32"


@dataclass
class ExportContext:
    """Passed to each exporter: `model` is a fp32 eval-mode ClassificationModel on CPU (not fused)."""

    model: Any
    opts: ExportOptions
    path: Path  # the artifact path to write (file, or folder for is_dir formats)
    metadata: dict[str, Any]
    workdir: Path  # scratch folder, deleted after the export
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def imgsz(self) -> int:
        return int(self.opts.imgsz or self.metadata["imgsz"][0])

    def example_input(self, batch: int | None = None):
        """A torch input of the export shape (real calibration images when available: better traces)."""
        import torch

        return torch.zeros(batch or self.opts.batch, 3, self.imgsz, self.imgsz)

    def calibration_images(self, max_images: int = 300) -> tuple[np.ndarray, dict[str, Any]]:
        """Preprocessed NCHW float32 images from `data` (train split, `fraction` of it, at most `max_images`,
        evenly spread over classes) and a record of where they came from, for the metadata."""
        key = f"calib{max_images}"
        if key in self._cache:
            return self._cache[key]
        from PIL import Image

        from ..data.folder import list_split, resolve_data
        from ..data.preprocess import preprocess

        data = self.opts.data
        if not data:
            warnings.warn("int8 calibration: no data= given, using the built-in digits dataset; pass data= with "
                          "images like those the model will see", stacklevel=2)
            data = "digits"
        root = resolve_data(data)
        try:
            paths, labels, _ = list_split(root, "train")
            split = "train"
        except Exception:
            paths, labels, _ = list_split(root, "val")
            split = "val"
        n = max(1, int(len(paths) * self.opts.fraction))
        n = min(n, max_images)
        idx = np.linspace(0, len(paths) - 1, n).round().astype(int)  # spread over the class-sorted list
        x = np.stack([preprocess(Image.open(paths[i]).convert("RGB"), self.imgsz) for i in idx])
        record = {"images": int(n), "source": str(data), "split": split, "fraction": self.opts.fraction}
        self._cache[key] = (x, record)
        return x, record

    def onnx_file(self, **overrides: Any) -> Path:
        """An ONNX export of the model in the scratch folder (shared by formats that convert from ONNX)."""
        from ._onnx_file import write_onnx

        kw = {"opset": self.opts.opset, "dynamic": self.opts.dynamic, "simplify": self.opts.simplify,
              "batch": self.opts.batch, **overrides}
        key = "onnx" + repr(sorted(kw.items()))
        if key not in self._cache:
            path = self.workdir / f"model_{len(self._cache)}.onnx"
            self._cache[key] = write_onnx(self.model, path, imgsz=self.imgsz, metadata=None, **kw)
        return self._cache[key]
