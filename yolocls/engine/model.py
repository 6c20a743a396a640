"""`YOLO`: the one object users hold, whatever the model is (YAML, .pt checkpoint, or exported artifact).

`YOLO('yolov8n-cls.yaml')` builds, `YOLO('best.pt')` loads (native or Ultralytics checkpoints),
`YOLO('best.onnx')` / `YOLO('best_openvino_model/')` load the artifact's runtime without importing torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..formats import DEFAULT_EXPORT, REFERENCE_FORMAT

# The built-in model names without `.yaml` (models/config.py has the families; importing it here would import torch).
BUILTIN_NAMES = frozenset(f"{family}{scale}-cls" for family in ("yolov8", "yolo11", "yolo26") for scale in "nsmlx")


def _is_torch_source(s: str) -> bool:
    return s.endswith((".yaml", ".yml", ".pt", ".pth")) or s in BUILTIN_NAMES


class YOLO:
    """A YOLO classifier (YOLOv8-, YOLO11- or YOLO26-cls): train, val, predict, export, info.

    Args:
        model: a model YAML or built-in name (`yolov8n-cls.yaml`, `yolo11s-cls.yaml`, `yolo26n-cls`), a `.pt`
            checkpoint (yolocls or Ultralytics), or an exported artifact.
        task: only "classify" is supported.
    """

    def __init__(self, model: str | Path = "yolov8n-cls.yaml", task: str = "classify", verbose: bool = False):
        if task != "classify":
            raise ConfigError(f"task='{task}' is not supported: yolocls does image classification (task='classify')")
        self.task = task
        self.source = str(model)
        self.ckpt: dict[str, Any] | None = None
        self.ckpt_path: Path | None = None
        self.model: Any = None  # torch ClassificationModel when built/loaded from YAML or .pt
        self.runtime: Any = None  # yolocls.runtimes.Runtime for exported artifacts
        self.metrics: Any = None
        s = self.source
        if _is_torch_source(s):
            if s.endswith((".pt", ".pth")):
                self._load_checkpoint(Path(s))
            else:
                from ..models import ClassificationModel

                self.model = ClassificationModel(s if s.endswith((".yaml", ".yml")) else f"{s}.yaml")
                self.model.imgsz = 224
                self.model.args = {}
        else:
            from ..runtimes import load_runtime

            self.runtime = load_runtime(s)

    def _load_checkpoint(self, path: Path) -> None:
        from ..models import load_checkpoint, model_from_checkpoint

        self.ckpt = load_checkpoint(path)
        self.ckpt_path = path
        self.model = model_from_checkpoint(self.ckpt)

    # --- properties ---------------------------------------------------------------------------------------
    @property
    def names(self) -> dict[int, str]:
        return dict(self.model.names) if self.model is not None else self.runtime.names

    @property
    def imgsz(self) -> int:
        return int(getattr(self.model, "imgsz", 224)) if self.model is not None else self.runtime.imgsz

    @property
    def format(self) -> str:
        return REFERENCE_FORMAT if self.model is not None else self.runtime.name

    def _require_torch_model(self, what: str) -> Any:
        if self.model is None:
            raise ConfigError(f"{what} needs a PyTorch model (YAML or .pt); '{self.source}' is an exported "
                              f"{self.runtime.name} artifact, which can only predict and val")
        return self.model

    # --- model ops ----------------------------------------------------------------------------------------
    def load(self, weights: str | Path) -> YOLO:
        """Transfer every tensor of `weights` whose name and shape match (e.g. a 1000-class checkpoint into a
        10-class model) and print how many were transferred."""
        from ..models import load_checkpoint, transfer_weights

        model = self._require_torch_model("load()")
        ckpt = load_checkpoint(weights)
        state = ckpt.get("ema") or ckpt["model"]
        n, total = transfer_weights(model, state)
        print(f"Transferred {n}/{total} items from {weights}")
        self.transferred = (n, total)
        return self

    def info(self, imgsz: int | None = None, verbose: bool = False, detailed: bool | None = None) -> Any:
        """Layers, parameters, gradients and true GFLOPs at `imgsz` (per-layer table with verbose=True)."""
        from ..models import model_info

        model = self._require_torch_model("info()")
        info, text = model_info(model, imgsz or self.imgsz, verbose=verbose if detailed is None else detailed)
        print(text)
        return info

    def fuse(self) -> YOLO:
        """Fold BatchNorm into the convolutions (inference only)."""
        self._require_torch_model("fuse()").fuse()
        return self

    def save(self, path: str | Path) -> Path:
        """Write the model as a safe yolocls checkpoint (atomically)."""
        from ..models import checkpoint_from_model, save_checkpoint

        return save_checkpoint(checkpoint_from_model(self._require_torch_model("save()")), path)

    # --- modes --------------------------------------------------------------------------------------------
    def train(self, **kwargs: Any) -> Any:
        """Train on `data=` (see `yolocls train --help`); returns the final validation metrics."""
        from .trainer import train

        return train(self, **kwargs)

    def val(self, **kwargs: Any) -> Any:
        """Validate on `data=` (default: the dataset the model was trained on); returns metrics with .top1/.top5."""
        from ..cfg import check_args
        from .validator import val

        self.metrics = val(self, **check_args("val", kwargs, caller="val()"))
        return self.metrics

    def predict(self, source: Any = None, stream: bool = False, **kwargs: Any) -> Any:
        """Predict on images, folders, globs, URLs, arrays, tensors or videos; returns a list of Results
        (a generator with stream=True)."""
        from .predictor import predict

        return predict(self, source, stream=stream, **kwargs)

    def __call__(self, source: Any = None, stream: bool = False, **kwargs: Any) -> Any:
        return self.predict(source, stream=stream, **kwargs)

    def export(self, format: str = DEFAULT_EXPORT, **kwargs: Any) -> str:
        """Export to `format` (see `yolocls export --help`); returns the artifact path. Raises on failure."""
        from ..cfg import check_args
        from ..models.checkpoint import file_sha256
        from .exporter import export_model

        kwargs = check_args("export", kwargs, caller="export()")
        model = self._require_torch_model("export()")
        src = self.ckpt_path
        res = export_model(model, format, source=src, source_sha256=file_sha256(src) if src else None,
                           provenance=(self.ckpt or {}).get("provenance"), **kwargs)
        return res.path

    def runtime_for_inference(self, device: str = "cpu") -> Any:
        """The runtime predict/val run on: the artifact's, or PyTorch around the in-memory model."""
        if self.runtime is not None:
            return self.runtime
        from ..runtimes.pt import PyTorchRuntime

        return PyTorchRuntime(device=device, model=self.model)

    def __repr__(self) -> str:
        return f"YOLO('{self.source}', format='{self.format}', classes={len(self.names)})"
