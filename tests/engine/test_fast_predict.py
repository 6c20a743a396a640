"""`.pt` predict runs through a cached in-memory ONNX Runtime session: same answers as eager PyTorch (1e-5),
eager on request, eager with a reason where the session cannot be built, and nothing written to disk."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from yolocls import YOLO
from yolocls.runtimes import _pt_ort

needs_ort = pytest.mark.skipif(_pt_ort.unavailable_reason(torch.nn.Identity().eval(), "cpu") is not None,
                               reason="onnxruntime is not installed: the fast path cannot run here")


@pytest.fixture(scope="module")
def val_folder(digits_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 digits val images in one folder (links to the dataset's files)."""
    from yolocls.data.folder import list_split

    out = tmp_path_factory.mktemp("val12")
    for i, p in enumerate(list_split(digits_root, "val")[0][:12]):
        os.symlink(p, out / f"{i:02d}_{Path(p).name}")
    return out


def _probs(results) -> np.ndarray:
    return np.stack([r.probs.data for r in results])


@needs_ort
@pytest.mark.parametrize("fixture", ["ultralytics_fixture", "ultralytics_yolo11_fixture"])
def test_fast_predict_matches_eager_pytorch_on_ultralytics_checkpoints(fixture, val_folder, request, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be left behind: the export happens in memory
    model = YOLO(request.getfixturevalue(fixture))
    eager = model.predict(val_folder, eager=True, verbose=False)
    fast = model.predict(val_folder, verbose=False)
    assert [r.path for r in fast] == [r.path for r in eager]
    np.testing.assert_allclose(_probs(fast), _probs(eager), atol=1e-5, rtol=0)
    assert [r.probs.top1 for r in fast] == [r.probs.top1 for r in eager]
    rt = model.runtime_for_inference("cpu", fast=True)
    rt.predict(np.zeros((2, 3, 32, 32), np.float32))
    assert rt.engine == "onnxruntime" and rt.why_eager is None
    assert model.runtime_for_inference("cpu").engine == "eager"  # the reference parity and the bench compare with
    assert list(tmp_path.iterdir()) == []


@needs_ort
def test_the_session_is_built_once_and_rebuilt_when_the_weights_change(ultralytics_fixture):
    model = YOLO(ultralytics_fixture)
    x = np.random.default_rng(0).random((3, 3, 32, 32), dtype=np.float32)
    first = _pt_ort.session_for(model.model.eval(), 32, 1)[0]
    assert first is not None and _pt_ort.session_for(model.model, 32, 1)[0] is first
    with torch.no_grad():  # an in-place change of one weight, as a training step makes
        next(model.model.parameters()).mul_(1.5)
    second = _pt_ort.session_for(model.model, 32, 1)[0]
    assert second is not first
    eager = model.runtime_for_inference("cpu").predict(x)
    np.testing.assert_allclose(model.runtime_for_inference("cpu", fast=True).predict(x), eager, atol=1e-5, rtol=0)


@needs_ort
def test_pipelined_folder_predicts_give_the_same_answers_in_the_same_order(ultralytics_fixture, val_folder):
    model = YOLO(ultralytics_fixture)
    # decoding threads and batches change nothing, in values or in order
    ref = model.predict(val_folder, eager=True, workers=0, verbose=False)
    for kw in ({"workers": 2}, {"workers": 1, "batch": 5}):
        got = list(model.predict(val_folder, stream=True, verbose=False, **kw))
        assert [r.path for r in got] == [r.path for r in ref]
        np.testing.assert_allclose(_probs(got), _probs(ref), atol=1e-5, rtol=0)


def test_where_the_session_cannot_be_built_predict_runs_eager_and_says_why(ultralytics_fixture, monkeypatch,
                                                                          caplog):
    model = YOLO(ultralytics_fixture)
    m = model.model
    assert "training mode" in _pt_ort.unavailable_reason(m.train(), "cpu")
    m.eval()
    assert "CPU only" in _pt_ort.unavailable_reason(m, "cuda:0")
    x = np.random.default_rng(2).random((2, 3, 32, 32), dtype=np.float32)
    eager = model.runtime_for_inference("cpu").predict(x)

    def unexportable(model, imgsz):
        raise RuntimeError("Exporting the operator 'aten::frobnicate' to ONNX opset version 17 is not supported")

    monkeypatch.setattr(_pt_ort, "_export", unexportable)
    monkeypatch.setattr(_pt_ort, "_CACHE", type(_pt_ort._CACHE)())
    with caplog.at_level(logging.DEBUG, logger="yolocls.predict"):
        rt = model.runtime_for_inference("cpu", fast=True)
        np.testing.assert_array_equal(rt.predict(x), eager)
    assert rt.engine == "eager" and "aten::frobnicate" in rt.why_eager
    lines = [r.getMessage() for r in caplog.records if r.name == "yolocls.predict"]
    assert len(lines) == 1 and lines[0].startswith("predict runs eager PyTorch: the in-memory ONNX export failed")


def test_without_onnxruntime_the_reason_names_the_package(ultralytics_fixture, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    model = YOLO(ultralytics_fixture)
    rt = model.runtime_for_inference("cpu", fast=True)
    assert rt.why_eager == "onnxruntime is not installed (pip install onnxruntime)"
    x = np.random.default_rng(3).random((1, 3, 32, 32), dtype=np.float32)
    np.testing.assert_array_equal(rt.predict(x), model.runtime_for_inference("cpu").predict(x))
    assert rt.engine == "eager"
