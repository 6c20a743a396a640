"""ncnn: pnnx export (fp32 and fp16 weights), nothing of pnnx left behind, fp32 runtime math by default."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.bench.parity import TOLERANCES, assert_parity
from yolocls.errors import ShapeError
from yolocls.exporters.ncnn import pnnx_command
from yolocls.runtimes import load_runtime

pytestmark = [pytest.mark.ncnn, pytest.mark.slow]


@pytest.fixture(scope="module")
def ncnn_exports(digits_ckpt, tmp_path_factory):
    """{'fp32': folder, 'fp16': folder}, exported once for the module (each beside its own checkpoint copy)."""
    out = {}
    for precision, half in (("fp32", False), ("fp16", True)):
        ckpt = shutil.copy(digits_ckpt, tmp_path_factory.mktemp(f"ncnn_{precision}") / "best.pt")
        out[precision] = Path(YOLO(ckpt).export(format="ncnn", half=half))
    return out


def test_artifact_holds_param_bin_and_metadata_only(ncnn_exports):
    for precision, folder in ncnn_exports.items():
        name = {"fp32": "best_ncnn_model", "fp16": "best_fp16_ncnn_model"}[precision]  # one precision per name
        assert folder.name == name
        assert sorted(p.name for p in folder.iterdir()) == ["metadata.yaml", "model.ncnn.bin", "model.ncnn.param"]
        assert sorted(p.name for p in folder.parent.iterdir()) == ["best.pt", name]  # no pnnx debris


def test_half_stores_fp16_weights(ncnn_exports):
    fp32, fp16 = (ncnn_exports[k] / "model.ncnn.bin" for k in ("fp32", "fp16"))
    assert 0.45 < fp16.stat().st_size / fp32.stat().st_size < 0.55
    assert load_runtime(ncnn_exports["fp16"]).precision == "fp16"
    assert load_runtime(ncnn_exports["fp32"]).precision == "fp32"


def test_fp16_arithmetic_is_off_unless_asked(ncnn_exports, digits_val, digits_ref):
    """Default: fp32 math, float rounding only (~1e-6 on peaked probabilities, under the 1e-4 gate).
    `fp16=True` (ncnn's own default) is within the fp16 tolerance and visibly less exact."""
    x, labels, _ = digits_val
    p32 = assert_parity(load_runtime(ncnn_exports["fp32"], threads=1).predict(x), digits_ref, labels, fmt="ncnn")
    rt16 = load_runtime(ncnn_exports["fp32"], fp16=True, threads=1)
    assert rt16.precision == "fp16"
    p16 = assert_parity(rt16.predict(x), digits_ref, labels, precision="fp16", fmt="ncnn fp16 math")
    assert p32.max_abs < 1e-5 and p16.max_abs <= TOLERANCES["fp16"].max_abs
    assert p16.max_abs > 5 * p32.max_abs, (p16.max_abs, p32.max_abs)


def test_batches_are_looped_and_image_size_is_checked(ncnn_exports, digits_val, digits_ref):
    rt = load_runtime(ncnn_exports["fp32"], threads=1)
    np.testing.assert_allclose(rt.predict(digits_val[0][:5]), digits_ref[:5], atol=1e-5)
    with pytest.raises(ShapeError, match="32x32"):
        rt.predict(np.zeros((1, 3, 64, 64), np.float32))


def test_pnnx_command_keeps_fp32_weights_unless_half():
    assert "fp16=0" in pnnx_command("pnnx", "m.pt", 224, half=False)
    cmd = pnnx_command("pnnx", "m.pt", 224, half=True)
    assert "fp16=1" in cmd and "inputshape=[1,3,224,224]f32" in cmd
    # every output pnnx writes is named, so none lands next to the checkpoint
    assert {a.split("=")[0] for a in cmd if "=" in a} >= {"ncnnparam", "ncnnbin", "ncnnpy", "pnnxparam", "pnnxbin",
                                                          "pnnxpy", "pnnxonnx"}
