"""int8 sensitivity and keep_float on real OpenVINO exports of the digits model: keep_float leaves the named
blocks unquantised, sensitivity ranks every top-level block by a measured top-1 drop, and keep_float=auto
exports an artifact whose drop is no worse than the plain int8 export's and within the 1-point gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from yolocls import YOLO
from yolocls.diagnose import diff
from yolocls.errors import ConfigError
from yolocls.runtimes import load_runtime

from .conftest import CALIB, assert_auto_within_gate, assert_ranked

pytestmark = [pytest.mark.slow, pytest.mark.openvino]


def fake_quantize_inputs(artifact) -> set[str]:
    """The operations of an IR that read a FakeQuantize output (the quantised ones)."""
    import openvino as ov

    model = ov.Core().read_model(str(next(Path(artifact).glob("*.xml"))))
    return {op.get_friendly_name() for op in model.get_ops()
            if any(v.get_node().get_type_name() == "FakeQuantize" for v in op.input_values())}


@pytest.fixture(scope="module")
def plain_int8(diff_ckpt):
    return YOLO(diff_ckpt).export(format="openvino", int8=True, **CALIB)


def test_keep_float_leaves_the_blocks_unquantised(diff_ckpt, plain_int8, tmp_path):
    import shutil

    ckpt = shutil.copy(diff_ckpt, tmp_path / "best.pt")
    kept = YOLO(ckpt).export(format="openvino", int8=True, keep_float="4,6", **CALIB)
    md = load_runtime(kept).metadata
    assert [e["index"] for e in md["quantization"]["keep_float"]] == [4, 6]
    plain_q, kept_q = fake_quantize_inputs(plain_int8), fake_quantize_inputs(kept)
    assert kept_q < plain_q  # fewer quantised operations, and none added
    assert {n for n in plain_q - kept_q if "/model.4/" in n} and {n for n in plain_q - kept_q if "/model.6/" in n}
    assert not {n for n in plain_q - kept_q if "/model.4/" not in n and "/model.6/" not in n}
    with pytest.raises(ConfigError, match="no blocks"):
        YOLO(ckpt).export(format="openvino", int8=True, keep_float="42", **CALIB)
    with pytest.raises(ConfigError, match="int8=True"):
        YOLO(ckpt).export(format="openvino", keep_float="4")


def test_sensitivity_ranks_blocks_and_auto_is_within_the_gate(diff_ckpt, plain_int8, digits_val, tmp_path):
    report = diff(diff_ckpt, plain_int8, images=8, sensitivity=True, save=True, project=tmp_path, verbose=False)
    (a,) = report.artifacts
    assert a.precision == "int8" and a.exposes_blocks  # int8 blocks compared too (int8 tolerance)
    (s,) = report.sensitivity
    assert_ranked(s)
    assert "int8 sensitivity" in report.files["md"].read_text()

    auto = YOLO(diff_ckpt).export(format="openvino", int8=True, keep_float="auto", **CALIB)
    assert_auto_within_gate(auto, plain_int8, digits_val)
