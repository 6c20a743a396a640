"""The CI parity checks: every registered format, exported from the digits model, loaded back through its
runtime and compared with the .pt on the whole digits val split (tolerances in yolocls.bench.parity)."""

from __future__ import annotations

import pytest

from yolocls.bench.parity import assert_parity
from yolocls.exporters import exporter_names
from yolocls.runtimes import load_runtime, unavailable_reason

# (format, export options, precision class). Add a row for each new format; the guard test below fails
# when a registered format has none. Keep each group's rows under its own comment line.
CASES = [
    # --- core formats
    ("torchscript", {}, "fp32"),
    ("torchscript", {"half": True}, "fp16"),
    ("onnx", {}, "fp32"),
    ("onnx", {"dynamic": True}, "fp32"),
    ("onnx", {"half": True}, "fp16"),
    ("onnx", {"int8": True, "data": "digits"}, "int8"),
    # --- openvino
    ("openvino", {}, "fp32"),
    ("openvino", {"half": True}, "fp16"),
    ("openvino", {"int8": True, "data": "digits", "fraction": 0.2}, "int8"),
    # --- TensorFlow family
    ("saved_model", {}, "fp32"),
    ("pb", {}, "fp32"),
    ("tflite", {}, "fp32"),
    ("tflite", {"half": True}, "fp16"),
    ("tflite", {"int8": True, "data": "digits"}, "int8"),
    ("tfjs", {}, "fp32"),  # wasm backend computes in float32 (max |dp| ~2e-8)
    ("edgetpu", {}, "int8"),  # skipped without libedgetpu (its runtime's unavailable_reason)
    # --- paddle / ncnn / coreml / engine
    ("paddle", {}, "fp32"),
    ("ncnn", {}, "fp32"),
    ("ncnn", {"half": True}, "fp16"),
    ("coreml", {}, "fp32"),  # runs on macOS; elsewhere tests/exporters/test_coreml.py checks the package
    ("engine", {}, "fp32"),  # runs where TensorRT and a CUDA GPU are; tests/exporters/test_engine.py has the rest
    # --- mnn / executorch
    ("mnn", {}, "fp32"),
    ("mnn", {"half": True}, "fp16"),
    ("mnn", {"int8": True, "data": "digits"}, "int8"),
    ("executorch", {}, "fp32"),
    ("executorch", {"int8": True, "data": "digits"}, "int8"),
]


def _skip_if_platform_cannot_run(fmt: str) -> None:
    """The runtime decides: a row runs wherever its runtime can (a CUDA machine, a Mac, an Edge TPU host)."""
    why = unavailable_reason(fmt, "cpu")
    if why:
        pytest.skip(f"{fmt} cannot run on this machine: {why}")


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "kwargs", "precision"), CASES, ids=[f"{c[0]}-{c[2]}{'-dyn' if c[1].get('dynamic') else ''}"
                                                                     for c in CASES])
def test_artifact_matches_pt_on_digits_val(fmt, kwargs, precision, export_once, digits_val, digits_ref):
    _skip_if_platform_cannot_run(fmt)
    x, labels, names = digits_val
    path = export_once(fmt, **kwargs)
    rt = load_runtime(path)
    assert rt.names == names and rt.imgsz == 32
    assert_parity(rt.predict(x), digits_ref, labels, precision=precision, fmt=f"{fmt}{kwargs or ''}",
                  names=[names[i] for i in labels])


def test_every_registered_format_has_a_parity_case():
    covered = {c[0] for c in CASES}
    missing = [f for f in exporter_names() if f not in covered]
    assert not missing, f"registered formats without a parity test: {missing}; add rows to CASES"
