"""Training, val and predict run for the YOLO11-cls and YOLO26-cls families as for YOLOv8-cls."""

from __future__ import annotations

from pathlib import Path

import pytest

from yolocls import YOLO
from yolocls.models import load_checkpoint

FAST = {"imgsz": 32, "batch": 16, "workers": 0, "exist_ok": True, "plots": False}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["yolo11n-cls", "yolo26n-cls"])  # built-in names work without `.yaml` too
def test_family_trains_validates_and_predicts(name, tiny_digits: Path, tmp_path: Path):
    yolo = YOLO(name)
    metrics = yolo.train(data=str(tiny_digits), epochs=1, project=str(tmp_path), name="run", **FAST)
    best = tmp_path / "run" / "weights" / "best.pt"
    ck = load_checkpoint(best)
    assert ck["yaml"]["yaml_file"] == f"{name}.yaml" and ck["yaml"]["scale"] == "n" and ck["imgsz"] == 32
    assert 0.0 <= metrics.top1 <= 1.0
    trained = YOLO(best)
    assert trained.val(data=str(tiny_digits), batch=16, workers=0, project=str(tmp_path), name="val",
                       plots=False).top1 == pytest.approx(metrics.top1, abs=0.05)  # 40 images; batch sizes differ
    image = next((tiny_digits / "val" / "3").iterdir())
    (result,) = trained.predict(image, verbose=False)
    assert result.probs.data.shape == (10,) and abs(float(result.probs.data.sum()) - 1) < 1e-5
    assert trained.info(imgsz=224).params == 1_543_914  # the YOLO11n-cls network at nc=10
