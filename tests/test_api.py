"""`from yolocls import YOLO` is the engine's facade plus `benchmark()` (Ultralytics' `model.benchmark()`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import yolocls
from yolocls.engine.model import YOLO as EngineYOLO
from yolocls.errors import ConfigError


def test_the_public_yolo_is_the_engine_facade_with_benchmark():
    assert issubclass(yolocls.YOLO, EngineYOLO) and yolocls.YOLO is not EngineYOLO
    assert hasattr(yolocls.YOLO, "benchmark") and not hasattr(EngineYOLO, "benchmark")


@pytest.mark.slow
def test_model_benchmark_runs_the_bench_on_this_checkpoint(ultralytics_fixture, digits_root, tmp_path):
    model = yolocls.YOLO(ultralytics_fixture)
    report = model.benchmark(format="onnx", data=str(digits_root), imgsz=32, runs=5, warmup=1, threads=1,
                             out=str(tmp_path), check=True)
    assert [r.format for r in report.rows] == ["pt", "onnx"] and report.exit_code == 0
    onnx = report.rows[1]
    assert onnx.status == "ok" and onnx.parity_passed is True and onnx.max_abs <= 1e-4
    assert report.settings["model"] == str(ultralytics_fixture)
    assert {"md", "json"} <= set(report.files) and all(Path(p).is_file() for p in report.files.values())


@pytest.mark.slow
def test_model_benchmark_of_an_exported_artifact_is_refused_in_one_line(ckpt_copy):
    onnx = yolocls.YOLO(ckpt_copy).export(format="onnx", imgsz=32)
    with pytest.raises(ConfigError, match=r"benchmark\(\) needs a PyTorch model .*exported onnx artifact"):
        yolocls.YOLO(onnx).benchmark(format="onnx")
