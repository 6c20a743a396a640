"""What every exporter receives: the model, the options, where to write, the metadata, and shared helpers."""

from __future__ import annotations

import copy
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
    keep_float: list[int] | str | None = None  # int8: top-level blocks left in float (indices), or "auto"
    max_top1_drop: float | None = None  # keep_float=auto: the val top-1 drop to reach, in points (default 1.0)

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
        opts.keep_float = parse_keep_float(opts.keep_float)
        if opts.keep_float is not None and not opts.int8:
            raise ConfigError(f"keep_float={kw['keep_float']!r} leaves blocks of an int8 export in float; add int8=True")
        if opts.max_top1_drop is not None and float(opts.max_top1_drop) < 0:
            raise ConfigError(f"max_top1_drop={opts.max_top1_drop} must be >= 0 (points of val top-1)")
        return opts

    @property
    def precision(self) -> str:
        return "int8" if self.int8 else "fp16" if self.half else "fp32"


def parse_keep_float(value: Any) -> list[int] | str | None:
    """keep_float as given (None, 'auto', '4,6', 4, [4, 6]) -> None, 'auto' or sorted block indices."""
    if value is None or value == "" or value == [] or value is False:
        return None
    if isinstance(value, str) and value.strip().lower() == "auto":
        return "auto"
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
    try:
        out = sorted({int(str(v).strip()) for v in items if str(v).strip()})
    except ValueError:
        raise ConfigError(f"keep_float={value!r}: give block indices (keep_float=4,6: the network's layers 4 and 6, "
                          "as `yolocls diff` numbers them) or keep_float=auto") from None
    if any(i < 0 for i in out):
        raise ConfigError(f"keep_float={value!r}: block indices are >= 0")
    return out or None


@dataclass
class ExportContext:
    """Passed to each exporter: `model` is a fp32 eval-mode ClassificationModel on CPU (not fused; its
    parameters need no gradient); `fused_model()` is the same model with every BatchNorm folded."""

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
        from ..data.folder import list_split, resolve_data
        from ..data.split_arrays import split_arrays

        data = self.opts.data
        if not data:
            warnings.warn("int8 calibration: no data= given, using the built-in digits dataset; pass data= with "
                          "images like those the model will see", stacklevel=2)
            data = "digits"
        root = resolve_data(data)
        try:
            paths, _, _ = list_split(root, "train")
            split = "train"
        except Exception:
            paths, _, _ = list_split(root, "val")
            split = "val"
        n = min(max(1, int(len(paths) * self.opts.fraction)), max_images)
        x = split_arrays(root, self.imgsz, split, limit=n)[0]
        record = {"images": int(n), "source": str(data), "split": split, "fraction": self.opts.fraction}
        self._cache[key] = (x, record)
        return x, record

    def fused_model(self) -> Any:
        """A copy of `model` with every BatchNorm folded into its convolution (fp32, eval; made once per export,
        shared, so exporters must not change it). The probe points are the same (`block_points` lists none inside
        a Conv block), so a block map recorded on it matches the unfused model's."""
        if "fused" not in self._cache:
            import torch

            with torch.no_grad():  # else the folded weights are non-leaf tensors, which torch.export refuses
                self._cache["fused"] = copy.deepcopy(self.model).fuse()
        return self._cache["fused"]

    def block_points(self) -> list[Any]:
        """The model's probe points (`yolocls.models.probes`, depth 2) at the export size: what the block map
        records for formats that can name their intermediate tensors."""
        if "points" not in self._cache:
            from ..models.probes import block_points

            self._cache["points"] = block_points(self.model, depth=2, imgsz=self.imgsz)
        return self._cache["points"]

    def onnx_file(self, **overrides: Any) -> Path:
        """An ONNX export of the model in the scratch folder (shared by formats that convert from ONNX). Its
        block tensors are named (`_blocks.tensor_name`); `block_outputs=True` keeps them as graph outputs."""
        from ._onnx_file import write_onnx

        kw = {"opset": self.opts.opset, "dynamic": self.opts.dynamic, "simplify": self.opts.simplify,
              "batch": self.opts.batch, **overrides}
        key = "onnx" + repr(sorted(kw.items()))
        if key not in self._cache:
            path = self.workdir / f"model_{len(self._cache)}.onnx"
            # from the fused model: the same graph (the exporter folds BatchNorm too), written in 2/3 of the time
            self._cache[key] = write_onnx(self.fused_model(), path, imgsz=self.imgsz, metadata=None,
                                          points=self.block_points(), **kw)
        return self._cache[key]
