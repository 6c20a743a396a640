"""Disk full costs the write, not the process or the data: one line "No space left on <folder> (needed ~N MB)",
no partial files, no epoch in results.csv whose weights were not written, no SIGBUS/SIGABRT."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import CAN_MOUNT, ROOT, TRACEBACK, run_cli


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or "partial" in p.name)


def test_exports_onto_a_full_disk_say_so_and_leave_nothing(fault_model, small_disk):
    pt = fault_model["pt"]
    disk = small_disk(pt.stat().st_size + (256 << 10))
    model = Path(shutil.copy(pt, disk.path / "best.pt"))
    # torchscript died of SIGABRT in torch's writer, openvino said "basic_ios::clear: iostream error"
    run = run_cli("export", f"model={model}", "format=torchscript,openvino,onnx", fsize=disk.limit)
    run.assert_clear_error("No space left on" if disk.limit is None else "file size limit", str(disk.path),
                           "needed ~")
    for fmt in ("torchscript", "openvino", "onnx"):
        assert any(fmt in ln and "failed" in ln for ln in run.out.splitlines()), (fmt, run.out[-1500:])
    assert _leftovers(disk.path) == [] and not list(disk.path.glob("best[._]*[!t]")), list(disk.path.iterdir())


def test_training_onto_a_full_disk_stops_before_an_epoch_it_cannot_save(small_disk, digits_root, tmp_path):
    disk = small_disk(8 << 20)
    run = run_cli("train", f"data={digits_root}", "model=yolov8n-cls.yaml", "imgsz=32", "epochs=2", "plots=False",
                  "fraction=0.05", f"project={disk.path}", "name=run", fsize=disk.limit, timeout=300)
    run.assert_clear_error(str(disk.path / "run" / "weights"), "training checkpoints")
    csv = disk.path / "run" / "results.csv"
    assert not csv.exists() or csv.read_text().count("\n") <= 1  # no epoch listed: no weights were written


@pytest.mark.skipif(not CAN_MOUNT, reason="filling a disk mid-run needs a tmpfs of its own (mount: root only)")
def test_a_disk_that_fills_mid_run_loses_no_row_and_no_weights(small_disk, digits_root):
    """Another process fills the disk once epoch 1 is saved: the run ends with one line, results.csv lists only
    epochs whose weights were written, and last.pt is whole."""
    import torch

    disk = small_disk(96 << 20)
    run = disk.path / "run"
    argv = [sys.executable, "-m", "yolocls", "train", f"data={digits_root}", "model=yolov8n-cls.yaml", "imgsz=32",
            "epochs=4", "plots=False", "fraction=0.05", "batch=16", f"project={disk.path}", "name=run"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})

    def fill() -> None:
        while p.poll() is None and not (run / "results.csv").exists():
            time.sleep(0.02)
        with open(disk.path / "filler", "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * (1 << 20))

    t = threading.Thread(target=fill)
    t.start()
    out = p.communicate(timeout=300)[0]
    t.join()
    assert p.returncode > 0 and TRACEBACK not in out and f"No space left on {run / 'weights'}" in out, out[-2000:]
    rows = [int(ln.split(",")[0]) for ln in (run / "results.csv").read_text().splitlines()[1:]]
    held = torch.load(run / "weights" / "last.pt", map_location="cpu", weights_only=True)["epoch"] + 1
    assert rows and rows == list(range(1, held + 1)) and held < 4, (rows, held)
    assert "resume=True" in out and not list((run / "weights").glob(".*"))


def test_bench_with_a_full_tmpdir_is_one_line_not_sigbus(fault_model, small_disk):
    disk = small_disk(2 << 20)
    run = run_cli("bench", f"model={fault_model['pt']}", "format=onnx", "data=digits", "runs=3",
                  env={"TMPDIR": str(disk.path)}, fsize=disk.limit, timeout=300)
    run.assert_clear_error(str(disk.path), "TMPDIR")
    assert not list(disk.path.glob("yolocls-bench-*"))
