"""The parity gate: a perturbed artifact fails it, naming the format and the excess; a crash costs one row;
a crashing exporter costs one row; a format that cannot run on this platform does not fail it. (The unperturbed artifact passing the gate is
shown by test_bench_run's --check run on the same model.) The test formats come in as a third-party
entry-point plugin, which the bench picks up with no change."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from yolocls import YOLO
from yolocls.bench import benchmark


def perturb_linear_weights(path, scale=1.05):
    """Scale the classifier's weight matrix (the one 2-D initializer) in an exported ONNX, keeping metadata."""
    m = onnx.load(str(path))
    (w,) = [t for t in m.graph.initializer if len(t.dims) == 2]
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * np.float32(scale), w.name))
    onnx.save(m, str(path))
    return path


@pytest.mark.slow
def test_perturbed_artifact_fails_the_gate_and_a_crash_costs_one_row(ckpt_copy, format_plugins, tmp_path):
    onnx_path = perturb_linear_weights(YOLO(ckpt_copy).export(format="onnx"))
    report = benchmark(model=ckpt_copy, data="digits", formats=["onnx", *format_plugins],
                       artifacts={"onnx": onnx_path}, runs=5, warmup=1, threads=1, check=True, out=tmp_path,
                       verbose=False)
    rows = {r.format: r for r in report.rows}
    assert list(rows) == ["pt", "onnx", "crashfmt", "badexport", "macfmt"]
    assert rows["onnx"].status == "ok" and rows["onnx"].parity_passed is False
    assert rows["onnx"].max_abs > 1e-4 and any("max |dp|" in f for f in rows["onnx"].parity_failures)
    assert rows["crashfmt"].status == "failed" and "crashed (SIGSEGV)" in rows["crashfmt"].reason
    # An exporter that crashes costs its row; the next format exports in a fresh worker.
    assert rows["badexport"].status == "failed" and "export-badexport crashed (SIGSEGV)" in rows["badexport"].reason
    assert rows["macfmt"].status == "unavailable" and "macOS" in rows["macfmt"].reason
    assert rows["macfmt"].size_mb is not None  # exported, only not run
    assert report.exit_code == 1 and not report.gate.passed
    assert report.gate.checked == ["onnx"] and len(report.gate.failures) == 1  # the crash did not run
    assert report.gate.failures[0].startswith("onnx [fp32]: max |dp| ")
    assert "onnx [fp32]: max |dp|" in report.files["md"].read_text()
