"""Callbacks under Ultralytics' event names, and the TensorBoard and MLflow logging built on them: one short
training run with every logger on, read back from what it wrote."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.engine.callbacks import EVENTS
from yolocls.errors import ConfigError

TRAIN_EVENTS = [e for e in EVENTS if e.startswith(("on_pretrain", "on_train", "on_fit", "on_model", "on_val"))
                or e == "teardown"]


@pytest.fixture(scope="module")
def run(digits_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """Two epochs on a tenth of digits with every event recorded and both loggers on."""
    tmp = tmp_path_factory.mktemp("callbacks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YOLOCLS_CONFIG_DIR", str(tmp / "config"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("YOLOCLS_RUNS_DIR", raising=False)
        from yolocls import settings

        settings.update(tensorboard=True, mlflow=True, runs_dir=tmp / "runs")
        seen: list[tuple[str, int]] = []
        model = YOLO("yolov8n-cls.yaml")
        for event in TRAIN_EVENTS:
            model.add_callback(event, lambda owner, e=event: seen.append((e, getattr(owner, "epoch", -1))))
        fit_metrics: list[dict] = []
        model.add_callback("on_fit_epoch_end", lambda t: fit_metrics.append(dict(t.metrics)))
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            model.train(data=str(digits_root), epochs=2, imgsz=32, batch=64, fraction=0.1, workers=0, plots=False,
                        project=str(tmp / "runs" / "classify"), name="cb", seed=0)
    model.train_log = log.getvalue()
    return model, seen, fit_metrics


def _between(events: list[str], first: str, last: str) -> list[list[str]]:
    """The events strictly between each `first` and the next `last`."""
    out, cur = [], None
    for e in events:
        if e == first:
            cur = []
        elif e == last and cur is not None:
            out.append(cur)
            cur = None
        elif cur is not None:
            cur.append(e)
    return out


@pytest.mark.slow
def test_training_events_fire_in_ultralytics_order(run):
    _, seen, _ = run
    events = [e for e, _ in seen]
    epoch = ["on_train_epoch_start", "on_train_epoch_end", "on_val_start", "on_val_end", "on_model_save",
             "on_fit_epoch_end"]
    assert [e for e in events if "_batch_" not in e] == [
        "on_pretrain_routine_start", "on_pretrain_routine_end", "on_train_start", *epoch, *epoch, "on_train_end",
        "teardown", "on_val_start", "on_val_end"]  # the final validation of best.pt comes after training
    # 10% of digits' 1,437 training images is 143: three batches of 64 per epoch, each a start then an end
    assert _between(events, "on_train_epoch_start", "on_train_epoch_end") == \
        [["on_train_batch_start", "on_train_batch_end"] * 3] * 2
    val_batches = _between(events, "on_val_start", "on_val_end")
    assert len(val_batches) == 3 and all(v and v == ["on_val_batch_start", "on_val_batch_end"] * (len(v) // 2)
                                         for v in val_batches)
    assert [ep for e, ep in seen if e == "on_fit_epoch_end"] == [0, 1]


@pytest.mark.slow
def test_callbacks_see_the_metrics_results_csv_records(run):
    model, _, fit = run
    with open(model.save_dir / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [round(m["metrics/accuracy_top1"], 4) for m in fit] == [round(float(r["metrics/accuracy_top1"]), 4)
                                                                   for r in rows]


@pytest.mark.slow
def test_tensorboard_event_file_reads_back_every_epoch(run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model, _, fit = run
    assert list(model.save_dir.glob("events.out.tfevents.*"))
    ea = EventAccumulator(str(model.save_dir))
    ea.Reload()
    tags = set(ea.Tags()["scalars"])
    assert {"train/loss", "metrics/accuracy_top1", "metrics/accuracy_top5", "val/loss", "lr/pg0"} <= tags
    top1 = ea.Scalars("metrics/accuracy_top1")
    assert [e.step for e in top1] == [1, 2]
    np.testing.assert_allclose([e.value for e in top1], [m["metrics/accuracy_top1"] for m in fit], rtol=1e-6)


@pytest.mark.slow
def test_mlflow_run_reads_back_params_metrics_and_files(run):
    from mlflow.tracking import MlflowClient

    from yolocls.engine.loggers import mlflow_uri

    model, _, fit = run
    root = model.save_dir.parent.parent / "mlflow"
    assert root.is_dir()  # <runs_dir>/mlflow
    client = MlflowClient(mlflow_uri())
    exp = client.get_experiment_by_name("classify")
    (r,) = client.search_runs([exp.experiment_id])
    assert r.info.run_name == "cb" and r.info.status == "FINISHED"
    assert r.data.params["epochs"] == "2" and r.data.params["imgsz"] == "32"
    hist = client.get_metric_history(r.info.run_id, "metrics/accuracy_top1")
    assert [m.step for m in sorted(hist, key=lambda m: m.step)] == [1, 2]
    np.testing.assert_allclose([m.value for m in sorted(hist, key=lambda m: m.step)],
                               [m["metrics/accuracy_top1"] for m in fit], rtol=1e-6)
    files = {a.path for a in client.list_artifacts(r.info.run_id)}
    assert {"results.csv", "args.yaml", "weights"} <= files
    assert {a.path for a in client.list_artifacts(r.info.run_id, "weights")} == {"weights/best.pt", "weights/last.pt"}


def test_loggers_are_off_by_default_and_a_missing_package_is_one_warning(monkeypatch, tmp_path):
    from yolocls import settings
    from yolocls.engine import loggers

    monkeypatch.setenv("YOLOCLS_CONFIG_DIR", str(tmp_path))
    assert not any(loggers.logger_callbacks().values())
    settings.update(tensorboard=True)
    monkeypatch.setitem(loggers.LOGGERS, "tensorboard", (loggers.TensorBoardLogger, "no_such_tb_pkg", "pip x"))
    with pytest.warns(UserWarning, match="no_such_tb_pkg is not installed.*pip x"):
        assert not any(loggers.logger_callbacks().values())


def test_predict_val_and_export_events_fire_in_order(ckpt_copy, digits_root, tmp_path):
    model = YOLO(ckpt_copy)
    seen: list[str] = []
    for event in EVENTS:
        model.add_callback(event, lambda owner, e=event: seen.append(e))
    images = sorted((digits_root / "val" / "3").iterdir())[:5]
    model.predict(images, batch=2, verbose=False)
    assert seen == ["on_predict_start"] + ["on_predict_batch_start", "on_predict_postprocess_end",
                                           "on_predict_batch_end"] * 3 + ["on_predict_end"]
    seen.clear()
    model.val(data=str(digits_root), batch=200, verbose=False, plots=False)
    assert seen == ["on_val_start", "on_val_batch_start", "on_val_batch_end", "on_val_batch_start",
                    "on_val_batch_end", "on_val_end"]  # 359 images, 200 a batch
    seen.clear()
    files: list = []
    model.add_callback("on_export_end", lambda ex: files.append(ex.file))
    path = model.export(format="torchscript")
    assert seen == ["on_export_start", "on_export_end"] and files == [path] and Path(path).is_file()
    model.clear_callback("on_export_end")
    model.reset_callbacks()
    assert not any(model.callbacks.values())
    with pytest.raises(ConfigError, match="Did you mean 'on_train_epoch_end'"):
        model.add_callback("on_train_epoch_ends", print)


@pytest.mark.slow
def test_pretrained_true_on_a_yaml_says_it_trains_from_scratch(run):
    model, _, _ = run
    lines = [x for x in model.train_log.splitlines() if x.startswith("pretrained=True")]
    assert len(lines) == 1 and "from scratch" in lines[0] and "model=yolov8n-cls.pt" in lines[0], model.train_log
