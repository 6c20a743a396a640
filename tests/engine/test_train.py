"""Training: the run folder, checkpoints, facade contract, optimizer=auto, resume equivalence, Ctrl-C, errors."""

from __future__ import annotations

import _thread
import csv
import threading
import time
from pathlib import Path

import pytest

from yolocls import YOLO, _cpu
from yolocls.engine.optim import choose_optimizer
from yolocls.engine.trainer import CSV_KEYS
from yolocls.errors import CheckpointError, ConfigError, DatasetError
from yolocls.models import load_checkpoint

FAST = {"imgsz": 32, "batch": 16, "workers": 0, "exist_ok": True}  # workers=0: augment in-process (no fork)


def rows(run: Path) -> list[dict[str, str]]:
    with open(run / "results.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_train_writes_the_run_and_updates_the_facade(tiny_digits: Path, tmp_path: Path, capsys):
    yolo = YOLO("yolov8n-cls.yaml")
    metrics = yolo.train(data=str(tiny_digits), epochs=2, project=str(tmp_path), name="run", **FAST)
    run = tmp_path / "run"
    out = capsys.readouterr().out
    assert "'optimizer=auto' picked AdamW(lr=0.002" in out and "iterations <= 10,000" in out
    assert "from scratch" in out
    assert yolo.save_dir == run and yolo.ckpt_path == run / "weights" / "best.pt"
    assert yolo.names == {i: str(i) for i in range(10)} and yolo.model.nc == 10
    for f in ("weights/last.pt", "weights/best.pt", "results.csv", "results.png", "confusion_matrix.png",
              "train_batch0.jpg", "args.yaml"):
        assert (run / f).is_file(), f
    r = rows(run)
    assert list(r[0]) == list(CSV_KEYS) and [x["epoch"] for x in r] == ["1", "2"]
    assert all(0.0 <= float(x["metrics/accuracy_top1"]) <= 1.0 and float(x["train/loss"]) > 0 for x in r)
    ck = load_checkpoint(run / "weights" / "best.pt")
    assert ck["train_args"]["data"] == str(tiny_digits.resolve()) and ck["train_args"]["imgsz"] == 32
    assert ck["imgsz"] == 32 and "optimizer" not in ck and "ema" not in ck  # finished: stripped
    assert 0.0 <= metrics.top1 <= 1.0 and set(metrics.speed) == {"preprocess", "inference", "postprocess"}
    assert metrics.top1 == pytest.approx(max(float(x["metrics/accuracy_top1"]) for x in r))

    from yolocls.cli import main

    assert main(["val", f"model={run / 'weights' / 'best.pt'}", f"project={tmp_path}", "name=v"]) == 0
    out = capsys.readouterr().out
    assert "top1_acc" in out and "Speed:" in out and (tmp_path / "v" / "confusion_matrix.png").is_file()


def test_optimizer_auto_rule():
    short = choose_optimizer("auto", 0.01, 0.937, nc=10, iterations=230)
    assert (short.name, short.lr, short.momentum) == ("AdamW", 0.000714, 0.9)  # Ultralytics' fit: fine-tuning
    scratch = choose_optimizer("auto", 0.01, 0.937, nc=10, iterations=230, from_scratch=True)
    assert (scratch.name, scratch.lr) == ("AdamW", 0.002) and "from scratch" in scratch.reason
    assert choose_optimizer("auto", 0.01, 0.937, nc=100, iterations=230, from_scratch=True).lr == 0.002
    long = choose_optimizer("auto", 0.01, 0.937, nc=1000, iterations=20_000)
    assert (long.name, long.lr, long.momentum) == ("SGD", 0.01, 0.9) and "20,000" in long.reason
    assert choose_optimizer("rmsprop", 0.001, 0.9, 10, 5).name == "RMSProp"
    with pytest.raises(ConfigError, match="optimizer='Lion'"):
        choose_optimizer("Lion", 0.001, 0.9, 10, 5)


def _interrupt_after_epochs(run: Path, n: int, fired: list[bool]) -> threading.Thread:
    """Deliver Ctrl-C (KeyboardInterrupt in the main thread) once epoch `n` is complete: last.pt saved and its
    results.csv row written after it, i.e. early in epoch n + 1."""
    csv_path = run / "results.csv"

    def watch():
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                if len(csv_path.read_text().strip().splitlines()) - 1 >= n:  # the row follows its last.pt
                    fired.append(True)
                    _thread.interrupt_main()
                    return
            except OSError:
                pass
            time.sleep(0.002)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def test_resume_after_ctrl_c_ends_where_an_uninterrupted_run_does(tiny_digits: Path, tmp_path: Path):
    # threads=1: the two runs must split their float sums alike, whatever the machine's load at each start
    # (left to choose, each run picks its count from the free cores then; the resumed one reuses the recorded count)
    args = {"data": str(tiny_digits), "epochs": 4, "project": str(tmp_path), "plots": False, "threads": 1, **FAST}
    YOLO("yolov8n-cls.yaml").train(name="whole", **args)

    fired: list[bool] = []
    t = _interrupt_after_epochs(tmp_path / "cut", 2, fired)
    with pytest.raises(KeyboardInterrupt):
        YOLO("yolov8n-cls.yaml").train(name="cut", **args)
    t.join(5)
    assert fired, "the run finished before it could be interrupted"
    last = tmp_path / "cut" / "weights" / "last.pt"
    ck = load_checkpoint(last)
    assert ck["optimizer"] and ck["ema"] and ck["rng"] and ck["epoch"] == 1  # epoch 2 of 4 (0-based 1)
    # the thread count chosen for this machine's load is recorded, so the resumed run splits its sums the same way
    threads = ck["train_args"]["threads"]
    assert isinstance(threads, int) and threads >= 1
    assert len(rows(tmp_path / "cut")) == 2

    yolo = YOLO(last)
    metrics = yolo.train(resume=True)
    assert load_checkpoint(last)["train_args"]["threads"] == threads  # the resumed run kept the count
    whole, cut = rows(tmp_path / "whole"), rows(tmp_path / "cut")
    assert [r["epoch"] for r in cut] == ["1", "2", "3", "4"]
    for a, b in zip(whole, cut, strict=True):
        for k in CSV_KEYS:
            assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-4, abs=1e-6), (a["epoch"], k)
    best = YOLO(tmp_path / "cut" / "weights" / "best.pt")
    assert best.val(plots=False, verbose=False).top1 == pytest.approx(metrics.top1)
    with pytest.raises(CheckpointError, match="finished training run"):
        YOLO(last).train(resume=True)


def test_bad_arguments_and_data_are_clear_errors(tiny_digits: Path, tmp_path: Path):
    with pytest.raises(ConfigError, match=r"unknown argument 'epoch' for train\(\)\. Did you mean 'epochs'\?"):
        YOLO("yolov8n-cls.yaml").train(data=str(tiny_digits), epoch=3)
    (tmp_path / "ds" / "train" / "a").mkdir(parents=True)
    (tmp_path / "ds" / "train" / "b").mkdir(parents=True)
    (tmp_path / "ds" / "train" / "a" / "x.png").write_bytes((tiny_digits / "train" / "0").iterdir().__next__()
                                                            .read_bytes())
    with pytest.raises(DatasetError, match=r"train/b' has no readable images"):
        YOLO("yolov8n-cls.yaml").train(data=str(tmp_path / "ds"), project=str(tmp_path), **FAST)


@pytest.mark.skipif(_cpu.usable_cores() < 2, reason="one usable core: nothing to leave free")
def test_training_leaves_a_core_that_another_process_keeps_busy(tiny_digits: Path, tmp_path: Path, capsys):
    import re
    import subprocess
    import sys

    import torch

    before = torch.get_num_threads()
    burner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        time.sleep(0.3)
        _cpu._cached = None
        YOLO("yolov8n-cls.yaml").train(data=str(tiny_digits), epochs=1, project=str(tmp_path), name="busy",
                                       plots=False, **FAST)
        out = capsys.readouterr().out
        n = _cpu.usable_cores()
        used = int(re.search(r" threads=(\d+) ", out).group(1))
        assert used < n  # the busy core is left alone
        assert "cores busy; pass threads= to override" in out
        # recorded, so that a resume splits its sums the same way; and the caller's count is given back
        assert load_checkpoint(tmp_path / "busy" / "weights" / "last.pt")["train_args"]["threads"] == used
        assert torch.get_num_threads() == before
    finally:
        burner.kill()
        burner.wait()
        torch.set_num_threads(before)
