"""Validation: defaults remembered from the checkpoint, metrics that match the reference probabilities, and
the same validator on an exported artifact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.errors import ConfigError


def test_val_defaults_and_metrics_match_the_reference(ckpt_copy: Path, digits_val, digits_ref, tmp_path: Path):
    _, labels, names = digits_val
    m = YOLO(ckpt_copy).val(project=str(tmp_path), name="v")  # data and imgsz come from the checkpoint
    pred = digits_ref.argmax(1)
    assert m.n == len(labels) == 359
    assert m.top1 == pytest.approx((pred == labels).mean(), abs=1e-9)
    top5 = np.argsort(-digits_ref, 1)[:, :5]
    assert m.top5 == pytest.approx((top5 == labels[:, None]).any(1).mean(), abs=1e-9)
    assert m.loss == pytest.approx(-np.log(digits_ref[np.arange(len(labels)), labels]).mean(), rel=1e-4)
    assert m.confusion_matrix.sum() == 359 and np.trace(m.confusion_matrix) == (pred == labels).sum()
    assert set(m.results_dict) >= {"metrics/accuracy_top1", "metrics/accuracy_top5", "val/loss"}
    assert set(m.speed) == {"preprocess", "inference", "postprocess"} and all(v >= 0 for v in m.speed.values())
    assert list(m.per_class_accuracy) == [names[i] for i in range(10)] and m.top1 > 0.9
    assert (tmp_path / "v" / "confusion_matrix.png").is_file()


def test_val_split_and_batch(ckpt_copy: Path, digits_root: Path, tiny_digits: Path):
    a = YOLO(ckpt_copy).val(data=str(digits_root), batch=7, plots=False, verbose=False)
    b = YOLO(ckpt_copy).val(data=str(tiny_digits), split="train", imgsz=32, plots=False, verbose=False)
    assert a.n == 359 and b.n == 120


def test_val_runs_on_an_exported_artifact(ckpt_copy: Path):
    pt = YOLO(ckpt_copy).val(plots=False, verbose=False)
    onnx = YOLO(YOLO(ckpt_copy).export(format="onnx", imgsz=32))
    m = onnx.val(plots=False, verbose=False)  # dataset from the artifact's metadata
    assert m.n == pt.n and abs(m.top1 - pt.top1) <= 1 / pt.n
    np.testing.assert_allclose(m.confusion_matrix.sum(1), pt.confusion_matrix.sum(1))


def test_val_without_known_data_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not record the dataset"):
        YOLO("yolov8n-cls.yaml").val(plots=False)
