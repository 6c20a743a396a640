"""Huge images (decoded reduced once, refused past a settable pixel limit) and the bench from a plain script
(children never re-import the user's `__main__`; scratch folders of killed benches are removed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

from PIL import Image

from yolocls.cli import main

from .conftest import ROOT, TRACEBACK


def _folder(tmp_path: Path, digits_root: Path) -> Path:
    d = tmp_path / "data"
    for split in ("train", "val"):
        for c in ("0", "1"):
            (d / split / c).mkdir(parents=True)
            for f in sorted((digits_root / split / c).iterdir())[:4]:
                shutil.copy(f, d / split / c / f.name)
    return d


def test_a_huge_training_image_is_decoded_once_at_working_size(tmp_path, digits_root, capsys):
    from yolocls.data.datasets import TrainImages

    d = _folder(tmp_path, digits_root)
    Image.new("RGB", (8000, 7000), (200, 30, 30)).save(d / "train" / "0" / "huge.png")  # 56 MP
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # it was raised raw
        images = TrainImages(d, "train", imgsz=32)
        assert "huge.png (8000x7000)) are decoded once, reduced to working size" in capsys.readouterr().out
        i = next(k for k, p in enumerate(images.paths) if p.name == "huge.png")
        decodes = []
        real = images._decode
        images._decode = lambda p: decodes.append(p) or real(p)  # counts the real decodes
        first, again = images.load(i), images.load(i)
    assert len(decodes) == 1 and again is first and max(first.shape[:2]) < 1000  # working size, not 8000 px


def test_an_image_over_the_pixel_limit_is_refused_in_one_line(fault_model, tmp_path, digits_root, monkeypatch, capsys):
    from yolocls.data.scan import scan_split

    Image.new("RGB", (2000, 2000)).save(tmp_path / "big.png")
    monkeypatch.setenv("YOLOCLS_MAX_PIXELS", "1000000")
    assert main(["predict", f"model={fault_model['onnx']}", f"source={tmp_path / 'big.png'}"]) == 2
    err = capsys.readouterr().err
    assert TRACEBACK not in err and "big.png' is refused" in err and "YOLOCLS_MAX_PIXELS" in err, err
    d = _folder(tmp_path, digits_root)
    shutil.copy(tmp_path / "big.png", d / "train" / "1" / "big.png")
    scan = scan_split(d, "train", cache=False)
    assert [r for r, _ in scan.skipped] == ["1/big.png"] and "1000000" in scan.skipped[0][1].replace(",", "")


def test_bench_from_a_plain_script_and_stale_scratch_folders(fault_model, tmp_path):
    """A script calling yolocls.bench.run at module level (no __main__ guard) failed with multiprocessing's
    "bootstrapping phase" error and blamed the checkpoint. The scratch folder a killed bench left (its lock died
    with it) is removed by the next run; one a running bench holds is not."""
    from yolocls._io import locked

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    stale, live = tmp / "yolocls-bench-killed", tmp / "yolocls-bench-running"
    for d in (stale, live):
        d.mkdir()
        (d / "val_x.npy").write_bytes(b"\0" * 4096)
        os.utime(d, (time.time() - 60, time.time() - 60))
    script = tmp_path / "bench_me.py"
    script.write_text("import yolocls.bench\n"
                      f"rows = yolocls.bench.run(model={str(fault_model['pt'])!r}, data='digits', formats='onnx', "
                      "imgsz=32, runs=3, out=None, verbose=False)\n"
                      "print('ROWS', [(r.format, r.status) for r in rows])\n")
    with locked(live):
        p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)})
    out = p.stdout + p.stderr
    assert p.returncode == 0 and "('onnx', 'ok')]" in out, out[-3000:]
    assert "bootstrapping" not in out
    assert not stale.exists() and live.exists()
    assert sorted(x.name for x in tmp.glob("yolocls-bench-*")) == ["yolocls-bench-running"]  # its own is gone too
