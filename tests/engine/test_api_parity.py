"""The Python API where Ultralytics users reach for it: tensor-style calls on results, to_df, save_dir,
model.to/device/names, and `val(save_json=True)`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from yolocls import YOLO


def test_results_answer_the_tensor_calls_ultralytics_code_makes(digits_yolo, known_digits, tmp_path: Path):
    r = digits_yolo.predict(known_digits[3], save=True, project=str(tmp_path), name="p", verbose=False)[0]
    data = r.probs.data.cpu().numpy()  # Ultralytics: a tensor on the device; here NumPy answering the same calls
    assert type(data) is np.ndarray and data.shape == (10,) and data.dtype == np.float32
    assert int(np.argmax(data)) == r.probs.top1 == 3
    assert isinstance(r.probs.top1conf.item(), float) and r.probs.top1conf.item() == pytest.approx(data[3])
    for copy in (r.cpu(), r.numpy()):
        assert copy is not r and copy.probs.top1 == 3 and copy.path == r.path
    assert r.save_dir == str(tmp_path / "p") and (tmp_path / "p" / Path(r.path).name).exists()
    unsaved = digits_yolo.predict(known_digits[3], verbose=False)[0]
    assert unsaved.save_dir is None


def test_to_df_and_to_csv_hold_the_top5(digits_yolo, known_digits):
    r = digits_yolo.predict(known_digits[7], verbose=False)[0]
    df = r.to_df()
    assert list(df.columns) == ["name", "class", "confidence"] and len(df) == 5
    assert df.iloc[0]["class"] == 7 and df["confidence"].is_monotonic_decreasing
    lines = r.to_csv().strip().splitlines()
    assert lines[0] == "name,class,confidence" and len(lines) == 6 and lines[1].split(",")[1] == "7"


@pytest.mark.slow
@pytest.mark.onnx
def test_model_names_device_and_to(ckpt_copy: Path):
    model = YOLO(ckpt_copy)
    assert model.names == {i: str(i) for i in range(10)}
    assert str(model.device) == "cpu"
    assert model.to("cpu") is model and str(model.device) == "cpu"
    onnx = YOLO(model.export(format="onnx", imgsz=32))
    assert onnx.device == "cpu" and onnx.to("cpu") is onnx


def test_val_save_json_writes_every_figure_into_the_run_folder(ckpt_copy: Path, tiny_digits: Path, tmp_path: Path):
    m = YOLO(ckpt_copy).val(data=str(tiny_digits), imgsz=32, plots=False, verbose=False, save_json=True,
                            project=str(tmp_path), name="v")
    path = tmp_path / "v" / "metrics.json"
    assert m.save_dir == tmp_path / "v" and path.is_file()
    doc = json.loads(path.read_text())
    assert doc["top1"] == pytest.approx(m.top1) and doc["metrics"]["metrics/accuracy_top1"] == pytest.approx(m.top1)
    assert doc["images"] == m.n == 40 and doc["data"] == str(tiny_digits) and doc["imgsz"] == 32
    cm = np.array(doc["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 40 and np.trace(cm) / 40 == pytest.approx(m.top1)
    assert set(doc["per_class_accuracy"]) == {str(i) for i in range(10)} and doc["yolocls"]
    # without save_json (and without plots) nothing is written
    YOLO(ckpt_copy).val(data=str(tiny_digits), imgsz=32, plots=False, verbose=False, project=str(tmp_path),
                        name="none")
    assert not (tmp_path / "none").exists()
