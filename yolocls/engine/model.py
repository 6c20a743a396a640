"""`YOLO`: the one object users hold, whatever the model is (YAML, .pt checkpoint, or exported artifact).

`YOLO('yolov8n-cls.yaml')` builds, `YOLO('best.pt')` loads (native or Ultralytics checkpoints),
`YOLO('yolov8n-cls.pt')` fetches Ultralytics' official weights on first use (see yolocls.models.weights),
`YOLO('best.onnx')` / `YOLO('best_openvino_model/')` load the artifact's runtime without importing torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import ConfigError
from ..formats import DEFAULT_EXPORT, REFERENCE_FORMAT
from .callbacks import Callbacks, add_callback, check_event, default_callbacks, run_callbacks

OTHER_TASKS = ("detect", "segment", "pose", "obb", "semantic", "depth")


def classification_only(task: str) -> ConfigError:
    """The error for any task but classify (Ultralytics' detect, segment, pose, obb...)."""
    return ConfigError(f"task '{task}' is not supported: yolocls is classification only (task=classify). For "
                       f"{task} models use Ultralytics; yolocls trains, exports and benchmarks classifiers")


def _is_torch_source(s: str) -> bool:
    """A model YAML, a checkpoint, or a bare built-in name (`yolov8n-cls`); anything else is an artifact.
    Decided from the string alone: reading the list of built-in names would import torch."""
    return s.endswith((".yaml", ".yml", ".pt", ".pth")) or (s.endswith("-cls") and not Path(s).exists())


class YOLO:
    """A YOLO classifier (YOLOv8-, YOLO11- or YOLO26-cls): train, val, predict, export, info.

    Args:
        model: a model YAML or built-in name (`yolov8n-cls.yaml`, `yolo11s-cls.yaml`, `yolo26n-cls`), a `.pt`
            checkpoint (yolocls or Ultralytics), or an exported artifact.
        task: only "classify" is supported.
    """

    def __init__(self, model: str | Path = "yolov8n-cls.yaml", task: str | None = "classify", verbose: bool = False):
        if task not in (None, "classify"):
            raise classification_only(str(task))
        self.task = "classify"
        self.source = str(model)
        self.callbacks: Callbacks = default_callbacks()
        self._device = "cpu"
        self.ckpt: dict[str, Any] | None = None
        self.ckpt_path: Path | None = None
        self.model: Any = None  # torch ClassificationModel when built/loaded from YAML or .pt
        self.runtime: Any = None  # yolocls.runtimes.Runtime for exported artifacts
        self.metrics: Any = None
        s = self.source
        if _is_torch_source(s):
            if s.endswith((".pt", ".pth")):
                from ..models.weights import resolve_weights

                self._load_checkpoint(resolve_weights(s))  # an official name is downloaded on first use
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

    @property
    def device(self) -> Any:
        """Where predict/val run: a `torch.device` for a PyTorch model, the device string for an artifact."""
        if self.model is not None:
            return next(self.model.parameters()).device
        return self.runtime.device

    def to(self, device: Any) -> YOLO:
        """Run predict/val on `device` ('cpu', 'cuda:0', 0, a torch.device); returns the model."""
        d = str(device)  # a torch.device prints as 'cpu' or 'cuda:0'
        d = f"cuda:{d}" if d.isdigit() else d
        if self.model is not None:
            self.model.to(d)
        elif d != self.runtime.device:
            from ..runtimes import load_runtime

            self.runtime = load_runtime(self.source, device=d)
        self._device = d
        return self

    # --- callbacks ----------------------------------------------------------------------------------------
    def add_callback(self, event: str, fn: Callable[[Any], Any]) -> None:
        """Call `fn(owner)` on `event` (Ultralytics' names: on_train_epoch_end, on_val_end, on_predict_end...;
        see yolocls.engine.callbacks). Functions run in the order added."""
        add_callback(self.callbacks, event, fn)

    def clear_callback(self, event: str) -> None:
        """Remove every function registered for `event`."""
        self.callbacks[check_event(event)] = []

    def reset_callbacks(self) -> None:
        """Remove every registered function, for every event."""
        self.callbacks = default_callbacks()
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
        """Validate on `data=` (default: the dataset the model was trained on); returns metrics with .top1/.top5.
        `save_json=True` writes metrics.json into the run folder."""
        from ..cfg import check_args
        from .validator import val

        kwargs.setdefault("device", self._device)
        self.metrics = val(self, **check_args("val", kwargs, caller="val()"))
        return self.metrics

    def predict(self, source: Any = None, stream: bool = False, **kwargs: Any) -> Any:
        """Predict on images, folders, globs, URLs, arrays, tensors or videos; returns a list of Results
        (a generator with stream=True)."""
        from .predictor import predict

        kwargs.setdefault("device", self._device)
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
        state = SimpleNamespace(format=format, file=None, args=dict(kwargs), model=model)
        run_callbacks(self.callbacks, "on_export_start", state)
        res = export_model(model, format, source=src, source_sha256=file_sha256(src) if src else None,
                           provenance=(self.ckpt or {}).get("provenance"), **kwargs)
        if res.path is None:  # export_model raises on failure, so a result without a path is a bug
            raise RuntimeError(f"export to {format} returned no artifact path")
        state.file = res.path
        run_callbacks(self.callbacks, "on_export_end", state)
        return res.path

    def runtime_for_inference(self, device: str = "cpu", fast: bool = False, threads: int | None = None) -> Any:
        """The runtime predict/val run on: the artifact's, or PyTorch around the in-memory model (`fast`: through
        its cached in-memory ONNX Runtime session where one can be built, see yolocls.runtimes.pt)."""
        if self.runtime is not None:
            return self.runtime
        from ..runtimes.pt import PyTorchRuntime

        return PyTorchRuntime(device=device, model=self.model, fast=fast, threads=threads)

    def __repr__(self) -> str:
        return f"YOLO('{self.source}', format='{self.format}', classes={len(self.names)})"
