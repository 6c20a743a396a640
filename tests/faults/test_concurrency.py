"""Concurrent exports into one folder, precisions side by side, and the export manifest: nothing lost, nothing
reported `ok` that is not there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from .conftest import ROOT, TRACEBACK


def test_two_exports_of_one_model_at_once_both_land_whole(fault_model, tmp_path):
    """Real concurrent processes: openvino once ended `ok` with its folder gone (only `.same_openvino_model.old`
    left) and two onnx exports collided on one fixed temp name."""
    model = Path(shutil.copy(fault_model["pt"], tmp_path / "same.pt"))
    argv = [sys.executable, "-c", "import sys; from yolocls.cli import export_main; sys.exit(export_main())",
            "--model", str(model), "--format", "onnx,openvino"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
             for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outs, strict=True):
        assert TRACEBACK not in out
        assert p.returncode == 0 or "another process" in out, out[-2000:]  # losing a race must say so
    from yolocls.runtimes import load_runtime

    for name in ("same.onnx", "same_openvino_model"):
        probs = load_runtime(tmp_path / name).predict(np.zeros((1, 3, 32, 32), np.float32))
        assert probs.shape == (1, 10), name
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp or .old left
    doc = json.loads((tmp_path / "same_export_manifest.json").read_text())
    assert sorted(e["format"] for e in doc["formats"]) == ["onnx", "openvino"]


def test_precisions_keep_their_own_names_and_the_manifest_keeps_every_entry(fault_model, tmp_path):
    from yolocls import YOLO
    from yolocls.engine.export_many import export_formats

    pt = Path(shutil.copy(fault_model["pt"], tmp_path / "best.pt"))
    export_formats(pt, "onnx", imgsz=32, verbose=False)
    fp32 = (tmp_path / "best.onnx").read_bytes()
    export_formats(pt, "openvino", imgsz=32, verbose=False)  # a second export: the onnx entry stays
    res = export_formats(pt, "onnx,openvino", half=True, imgsz=32, verbose=False)
    assert [(r.status, Path(r.path).name, r.precision) for r in res] == [
        ("ok", "best_fp16.onnx", "fp16"), ("ok", "best_fp16_openvino_model", "fp16")]
    assert (tmp_path / "best.onnx").read_bytes() == fp32  # the fp32 artifact was not replaced
    assert YOLO(tmp_path / "best.onnx").runtime.metadata["precision"] == "fp32"
    for name in ("best_fp16.onnx", "best_fp16_openvino_model"):
        m = YOLO(tmp_path / name)  # recognised by its suffix, precision from its metadata
        assert m.runtime.metadata["precision"] == "fp16"
        assert m.predict(fault_model["img"], verbose=False)[0].probs.top1 == \
            YOLO(tmp_path / "best.onnx").predict(fault_model["img"], verbose=False)[0].probs.top1
    doc = json.loads((tmp_path / "best_export_manifest.json").read_text())
    assert sorted((e["format"], e["precision"]) for e in doc["formats"]) == [
        ("onnx", "fp16"), ("onnx", "fp32"), ("openvino", "fp16"), ("openvino", "fp32")]
