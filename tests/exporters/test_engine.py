"""TensorRT export: the TensorRT-free build logic, tested here; the real build needs TensorRT and a CUDA GPU."""

from __future__ import annotations

import importlib.util
import shutil
import sys

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.errors import ConfigError, ExportError, MissingDependencyError, ShapeError
from yolocls.exporters._tensorrt_build import build_plan, calibration_batches, profile_shapes, trt_major

PLAN = {"half": False, "int8": False, "dynamic": False, "batch": 1, "imgsz": 224, "workspace": None}


def test_dynamic_profile_is_1_to_batch_with_opt_half_way():
    assert profile_shapes(8, 224, dynamic=True) == ((1, 3, 224, 224), (4, 3, 224, 224), (8, 3, 224, 224))
    assert profile_shapes(1, 32, dynamic=True) == ((1, 3, 32, 32),) * 3
    assert profile_shapes(8, 224, dynamic=False) is None
    with pytest.raises(ConfigError, match="batch=0"):
        profile_shapes(0, 224, dynamic=True)


def test_plan_half_uses_the_flag_on_tensorrt_10_and_an_fp16_graph_on_11():
    p10 = build_plan(10, **{**PLAN, "half": True})
    assert p10.fp16_flag and not p10.fp16_onnx
    p11 = build_plan(11, **{**PLAN, "half": True})
    assert p11.fp16_onnx and not p11.fp16_flag
    plain = build_plan(10, **PLAN)
    assert not (plain.fp16_flag or plain.fp16_onnx or plain.int8_calibration) and plain.profile is None


def test_plan_int8_calibrates_at_the_profiles_opt_batch_on_tensorrt_10():
    p = build_plan(10, **{**PLAN, "int8": True, "dynamic": True, "batch": 16})
    assert p.int8_calibration and p.calibration_batch == 8 and p.max_batch == 16
    assert build_plan(10, **{**PLAN, "int8": True, "batch": 4}).calibration_batch == 4  # static: the batch


def test_plan_refuses_what_tensorrt_cannot_do():
    with pytest.raises(ExportError, match="TensorRT 11 removed calibrator-based int8"):
        build_plan(11, **{**PLAN, "int8": True})
    with pytest.raises(ExportError, match="too old"):
        build_plan(8, **PLAN)
    with pytest.raises(ConfigError, match="exclude each other"):
        build_plan(10, **{**PLAN, "half": True, "int8": True})
    with pytest.raises(ConfigError, match="workspace=0"):
        build_plan(10, **{**PLAN, "workspace": 0})
    assert build_plan(10, **{**PLAN, "workspace": 1.5}).workspace_bytes == 3 << 29


def test_dynamic_with_batch_1_warns_that_batch_is_the_max():
    with pytest.warns(UserWarning, match="batch is the profile's maximum"):
        build_plan(10, **{**PLAN, "dynamic": True})


def test_trt_major_reads_the_version_string():
    assert trt_major("10.13.0.35") == 10 and trt_major("11.4.0.106") == 11
    with pytest.raises(ExportError):
        trt_major("dev")


def test_calibration_batches_are_full_and_use_every_image():
    x = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1) * np.ones((1, 3, 2, 2), np.float32)
    batches = calibration_batches(x, 4)
    assert [b.shape for b in batches] == [(4, 3, 2, 2)] * 3
    seen = np.concatenate(batches)[:, 0, 0, 0]
    assert sorted(set(seen.tolist())) == list(range(10)) and seen[10:].tolist() == [0, 1]  # topped up from the start
    assert [b.shape[0] for b in calibration_batches(x[:2], 4)] == [4]
    with pytest.raises(ConfigError):
        calibration_batches(x[:0], 4)


def test_export_without_tensorrt_says_how_to_install_it(ckpt_copy, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # as on this project's machines (BACKENDS.md trap 11)
    with pytest.raises(MissingDependencyError, match=r"pip install tensorrt --extra-index-url https://pypi\.nvidia\.com"):
        YOLO(ckpt_copy).export(format="engine")
    assert not list(ckpt_copy.parent.glob("*.engine")) and not list(ckpt_copy.parent.glob(".partial*"))


def _tensorrt_and_cuda() -> str | None:
    """Why the real build cannot run here, or None."""
    if importlib.util.find_spec("tensorrt") is None:
        return "TensorRT is not installed (it comes only from NVIDIA's index, unreachable here: BACKENDS.md trap 11)"
    import torch

    return None if torch.cuda.is_available() else "TensorRT engines need a CUDA GPU; none is visible"


@pytest.mark.tensorrt
@pytest.mark.slow
@pytest.mark.skipif(_tensorrt_and_cuda() is not None, reason=str(_tensorrt_and_cuda()))
@pytest.mark.parametrize("kwargs", [{}, {"half": True}, {"dynamic": True, "batch": 4}], ids=["fp32", "fp16", "dyn4"])
def test_engine_builds_runs_and_matches_pytorch(kwargs, digits_ckpt, digits_val, digits_ref, tmp_path):
    from yolocls.bench.parity import assert_parity
    from yolocls.runtimes import load_runtime

    ckpt = shutil.copy(digits_ckpt, tmp_path / "best.pt")
    rt = load_runtime(YOLO(ckpt).export(format="engine", **kwargs))
    x, labels, _ = digits_val
    precision = "fp16" if kwargs.get("half") else "fp32"
    b = rt.max_batch
    probs = np.concatenate([rt.predict(x[i:i + b]) for i in range(0, len(x), b)])
    assert_parity(probs, digits_ref, labels, precision=precision, fmt=f"engine{kwargs}")
    if kwargs.get("dynamic"):
        with pytest.raises(ShapeError, match="at most 4"):
            rt.predict(x[:5])
