"""TensorBoard and MLflow logging of training runs, built on the callbacks and off by default.

`yolocls settings tensorboard=True` writes TensorBoard event files into the run folder (`tensorboard
--logdir runs/classify`); `yolocls settings mlflow=True` logs parameters, per-epoch metrics and the run's
files to MLflow ($MLFLOW_TRACKING_URI, else a store in `<runs_dir>/mlflow`; experiment $MLFLOW_EXPERIMENT_NAME,
else the run's project folder name; run name: the run folder's name). A logger whose package is missing says so
in one line and training goes on without it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
import warnings
from pathlib import Path
from typing import Any

from .callbacks import Callbacks, default_callbacks


def epoch_scalars(trainer: Any) -> dict[str, float]:
    """The figures of the epoch just finished, under Ultralytics' names (train/loss, metrics/accuracy_top1,
    metrics/accuracy_top5, val/loss, lr/pg0...)."""
    row = {k: float(v) for k, v in (trainer.metrics or {}).items() if k not in ("epoch", "lr")}
    row.update({k: float(v) for k, v in (trainer.lr or {}).items()})
    return {k: v for k, v in row.items() if v == v}  # NaN: not measured (val=False)


class TensorBoardLogger:
    """Scalars per epoch into `<save_dir>` (one event file per run)."""

    def __init__(self) -> None:
        self.writer: Any = None

    def on_train_start(self, trainer: Any) -> None:
        # TensorBoard imports all of TensorFlow (~16 s here) unless its `notf` marker module exists; writing
        # event files needs only its protobufs.
        sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(trainer.save_dir))
        print(f"TensorBoard: logging to {trainer.save_dir} (view with 'tensorboard --logdir {trainer.save_dir}')")

    def on_fit_epoch_end(self, trainer: Any) -> None:
        if self.writer is not None:
            for k, v in epoch_scalars(trainer).items():
                self.writer.add_scalar(k, v, trainer.epoch + 1)
            self.writer.flush()

    def on_train_end(self, trainer: Any) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    teardown = on_train_end


def mlflow_uri() -> str:
    """$MLFLOW_TRACKING_URI, else a store under `<runs_dir>/mlflow` (SQLite where SQLAlchemy is installed, as
    MLflow 3 wants; else its file store, which mlflow-skinny needs to be allowed explicitly)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    from ..settings import runs_dir

    root = (runs_dir() / "mlflow").absolute()
    root.mkdir(parents=True, exist_ok=True)
    if importlib.util.find_spec("sqlalchemy") is not None:
        return f"sqlite:///{root / 'mlflow.db'}"
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return root.as_uri()


class MLflowLogger:
    """Params at the start, metrics per epoch (step = epoch), results.csv, plots and weights at the end."""

    def __init__(self) -> None:
        self.mlflow: Any = None
        self.run_id: str | None = None

    def on_train_start(self, trainer: Any) -> None:
        import mlflow

        self.mlflow = mlflow
        mlflow.set_tracking_uri(mlflow_uri())
        mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or Path(trainer.save_dir).parent.name)
        run = mlflow.active_run() or mlflow.start_run(run_name=Path(trainer.save_dir).name)
        self.run_id = run.info.run_id
        mlflow.log_params({k: str(v)[:500] for k, v in trainer.args.items()})
        print(f"MLflow: run {self.run_id} in {mlflow.get_tracking_uri()}")

    def on_fit_epoch_end(self, trainer: Any) -> None:
        if self.mlflow is not None:
            self.mlflow.log_metrics(epoch_scalars(trainer), step=trainer.epoch + 1)

    def on_train_end(self, trainer: Any) -> None:
        if self.mlflow is None:
            return
        save_dir = Path(trainer.save_dir)
        for f in sorted(save_dir.glob("*")):
            if f.is_file() and f.suffix in (".csv", ".png", ".jpg", ".yaml"):
                self.mlflow.log_artifact(str(f))
        for f in (trainer.best, trainer.last):
            if f is not None and Path(f).is_file():
                self.mlflow.log_artifact(str(f), artifact_path="weights")
        self.mlflow.end_run()
        self.mlflow = None

    def teardown(self, trainer: Any) -> None:  # after an error or Ctrl-C: close the run, marked as failed
        if self.mlflow is not None:
            self.mlflow.end_run(status="FAILED")
            self.mlflow = None


LOGGERS = {"tensorboard": (TensorBoardLogger, "tensorboard", "pip install tensorboard"),
           "mlflow": (MLflowLogger, "mlflow", "pip install mlflow-skinny")}


def logger_callbacks() -> Callbacks:
    """The callbacks of the loggers the settings turn on (a missing package: one warning, that logger off)."""
    from ..settings import get

    table = default_callbacks()
    for key, (cls, module, fix) in LOGGERS.items():
        if not get(key):
            continue
        if importlib.util.find_spec(module) is None:
            warnings.warn(f"the '{key}' setting is on but {module} is not installed, so this run is not logged "
                          f"to it. Fix: {fix} (or 'yolocls settings {key}=False')", stacklevel=2)
            continue
        logger = cls()
        for event in table:
            fn = getattr(logger, event, None)
            if fn is not None:
                table[event].append(fn)
    return table
