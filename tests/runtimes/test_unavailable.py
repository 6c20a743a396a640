"""Where a format can run is its runtime's answer: `unavailable_reason(device)`, asked by the bench, the CLI and
the parity tests, and used by the runtimes' own checks."""

from __future__ import annotations

import ctypes
import importlib.util
import sys

from yolocls.runtimes import get_runtime, runtime_names, unavailable_reason
from yolocls.runtimes.edgetpu import library


def test_every_runtime_answers_with_a_reason_or_none():
    for name in runtime_names():
        why = get_runtime(name).unavailable_reason("cpu")
        assert why is None or (isinstance(why, str) and why.strip()), name
        assert unavailable_reason(name, "cpu") == why


def test_formats_that_need_only_python_packages_run_anywhere():
    for name in ("pt", "torchscript", "onnx", "openvino", "saved_model", "pb", "tflite", "tfjs", "paddle", "ncnn"):
        assert unavailable_reason(name) is None, name


def test_coreml_runs_only_on_macos():
    why = unavailable_reason("coreml")
    assert why is None if sys.platform == "darwin" else "only on macOS" in why and sys.platform in why


def test_engine_needs_tensorrt_and_a_cuda_gpu():
    why = unavailable_reason("engine")
    if importlib.util.find_spec("tensorrt") is None:
        assert "TensorRT is not installed" in why and "pypi.nvidia.com" in why
    else:
        import torch

        assert (why is None) == torch.cuda.is_available()


def test_edgetpu_needs_libedgetpu():
    try:
        ctypes.CDLL(library())
        present = True
    except OSError:
        present = False
    why = unavailable_reason("edgetpu")
    assert (why is None) == present
    if not present:
        assert library() in why and "libedgetpu1-std" in why


def test_an_unregistered_format_leaves_the_answer_to_loading():
    assert unavailable_reason("no_such_format") is None

