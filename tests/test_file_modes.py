"""Files yolocls writes get the permissions the user's umask asks for (yolocls._io), so a service running as
another user can read them: with umask 022, files are 0644 and folders 0755 (temp-file APIs give 0600/0700)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from yolocls import _io


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _assert_modes(paths: list[Path]) -> None:
    wrong = {str(p): oct(_mode(p)) for p in paths if _mode(p) != (0o755 if p.is_dir() else 0o644)}
    assert not wrong, f"not the umask's modes (files 0o644, folders 0o755): {wrong}"


def test_the_modes_follow_the_umask_not_a_constant(tmp_path):
    old = os.umask(0o077)
    try:
        private = _io.write_text(tmp_path / "private.txt", "x")
        folder = _io.temp_folder(tmp_path / "f")
    finally:
        os.umask(0o022)
    try:
        shared = _io.write_bytes(tmp_path / "shared.bin", b"x")
    finally:
        os.umask(old)
    assert (_mode(private), _mode(folder), _mode(shared)) == (0o600, 0o700, 0o644)


def test_checkpoint_plot_report_and_dataset_modes(umask_022, tmp_path):
    from yolocls.bench.report import write_reports
    from yolocls.bench.rows import BenchReport, Row, evaluate_gate
    from yolocls.data.digits import write_digits
    from yolocls.engine.plots import plot_confusion_matrix
    from yolocls.models import ClassificationModel, checkpoint_from_model, save_checkpoint

    model = ClassificationModel("yolov8n-cls.yaml", nc=3)
    ckpt = save_checkpoint(checkpoint_from_model(model), tmp_path / "weights" / "last.pt", tmp_path / "best.pt")
    plot = plot_confusion_matrix(np.eye(3, dtype=int), {0: "a", 1: "b", 2: "c"}, tmp_path / "confusion_matrix.png")
    rows = [Row(format="pt", title="PyTorch", reference=True)]
    report = BenchReport(rows=rows, settings={"model": "m.pt", "model_name": "m", "data": "digits", "val_images": 1,
                                              "imgsz": 32, "device": "cpu", "batch": [1], "runs": 1, "warmup": 0,
                                              "threads": None},
                         environment={}, gate=evaluate_gate(rows), name="bench_modes", created="2026-01-01")
    files = write_reports(report, tmp_path / "reports")
    digits = write_digits(tmp_path / "datasets" / "digits")  # a folder written whole, then renamed into place
    _assert_modes([ckpt, tmp_path / "best.pt", plot, *files.values(), digits, digits / "dataset.yaml",
                   next((digits / "train" / "0").iterdir())])


@pytest.mark.slow
@pytest.mark.onnx
@pytest.mark.openvino
def test_artifact_metadata_and_manifest_modes(umask_022, ckpt_copy):
    from yolocls.engine.export_many import export_formats

    results = export_formats(ckpt_copy, "onnx,openvino", verbose=False)
    assert [r.status for r in results] == ["ok", "ok"]
    onnx_file, ov_folder = Path(results[0].path), Path(results[1].path)
    manifest = ckpt_copy.with_name("best_export_manifest.json")
    assert json.loads(manifest.read_text())["summary"]["ok"] == 2
    _assert_modes([onnx_file, ov_folder, *ov_folder.iterdir(), manifest])
    assert (ov_folder / "metadata.yaml").is_file()
