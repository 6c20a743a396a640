"""Core ML: the exported .mlpackage carries names, preprocessing and the right I/O; prediction is macOS-only."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from yolocls.engine.exporter import export_model
from yolocls.errors import PlatformNotSupportedError
from yolocls.models import load_checkpoint, model_from_checkpoint
from yolocls.runtimes import load_runtime

from .conftest import run_python

pytestmark = [pytest.mark.coreml, pytest.mark.slow]


def _weights_size(package: Path) -> int:
    return sum(f.stat().st_size for f in (package / "Data").rglob("*") if f.is_file())


@pytest.fixture(scope="module")
def coreml_exports(digits_ckpt, tmp_path_factory):
    """{precision: ExportResult} for fp32, fp16 and int8 (batch 2 for fp32, to see the batch in the I/O)."""
    model = model_from_checkpoint(load_checkpoint(digits_ckpt))
    out = {}
    for precision, kw in (("fp32", {"batch": 2}), ("fp16", {"half": True}), ("int8", {"int8": True})):
        ckpt = shutil.copy(digits_ckpt, tmp_path_factory.mktemp(f"coreml_{precision}") / "best.pt")
        out[precision] = export_model(model, "coreml", source=ckpt, **kw)
    return out


def test_export_is_an_ml_program_package(coreml_exports):
    res = coreml_exports["fp32"]
    path = Path(res.path)
    assert path.name == "best.mlpackage" and (path / "Manifest.json").is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["best.mlpackage", "best.pt"]
    rt = load_runtime(path)
    assert rt.model.get_spec().WhichOneof("Type") == "mlProgram"


def test_user_metadata_has_names_and_preprocessing(coreml_exports, digits_val):
    rt = load_runtime(coreml_exports["fp32"].path)
    user = dict(rt.model.get_spec().description.metadata.userDefined)
    names = digits_val[2]
    assert {int(k): v for k, v in json.loads(user["names"]).items()} == names == rt.names
    assert json.loads(user["imgsz"]) == [32, 32]
    pre = json.loads(user["preprocess"])
    assert pre["scale"] == pytest.approx(1 / 255) and pre["layout"] == "NCHW" and pre["channel_order"] == "RGB"
    assert rt.metadata["format"] == "coreml" and rt.metadata["versions"]["coremltools"]


def test_input_and_output_description(coreml_exports):
    spec = load_runtime(coreml_exports["fp32"].path).model.get_spec()
    (inp,), (out,) = spec.description.input, spec.description.output
    assert inp.name == "images" and list(inp.type.multiArrayType.shape) == [2, 3, 32, 32]
    assert out.name == "output0" and list(out.type.multiArrayType.shape) == [2, 10]


def test_a_package_that_contradicts_its_metadata_is_refused(coreml_exports):
    rt = load_runtime(coreml_exports["fp32"].path)
    rt.metadata["imgsz"] = [64, 64]
    with pytest.raises(ValueError, match="does not match its metadata"):
        rt.check_io(rt.model.get_spec())


def test_half_and_int8_shrink_the_weights(coreml_exports):
    size = {k: _weights_size(Path(r.path)) for k, r in coreml_exports.items()}
    assert 0.4 < size["fp16"] / size["fp32"] < 0.6
    assert 0.2 < size["int8"] / size["fp32"] < 0.35
    assert load_runtime(coreml_exports["int8"].path).metadata["quantization"]["weights"] == "int8"
    assert load_runtime(coreml_exports["fp16"].path).precision == "fp16"


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS Core ML predicts")
def test_prediction_off_macos_says_so_and_export_counts_as_not_run(coreml_exports):
    res = coreml_exports["fp32"]
    assert res.status == "ok" and not res.verified
    assert res.reason == f"exported, not run: Core ML prediction runs only on macOS (this is {sys.platform})"
    with pytest.raises(PlatformNotSupportedError, match="only on macOS"):
        load_runtime(res.path).predict(np.zeros((2, 3, 32, 32), np.float32))


@pytest.mark.skipif(sys.platform != "darwin", reason="Core ML prediction runs only on macOS")
def test_prediction_on_macos_matches_pytorch(coreml_exports, digits_val, digits_ref):
    x, labels, _ = digits_val
    from yolocls.bench.parity import assert_parity

    assert_parity(load_runtime(coreml_exports["fp32"].path).predict(x), digits_ref, labels, fmt="coreml")


@pytest.mark.tensorflow
def test_export_imports_no_unused_backend_and_tensorflow_formats_still_export_after_it(digits_ckpt, tmp_path):
    """coremltools comes without its optional probes (TensorFlow, sklearn, ExecuTorch...), and a TensorFlow
    format exported next in the same process (paddle, then TensorFlow, after coremltools) still works."""
    code = f"""
        import shutil, sys
        import numpy as np
        from yolocls import YOLO
        from yolocls._backends import COREMLTOOLS_UNUSED
        from yolocls.runtimes import load_runtime
        model = YOLO(shutil.copy({str(digits_ckpt)!r}, {str(tmp_path / "best.pt")!r}))
        model.export(format="coreml")
        print("IMPORTED", sorted(m for m in (*COREMLTOOLS_UNUSED, "paddle") if m in sys.modules))
        saved = model.export(format="saved_model")
        print("PREDICTED", load_runtime(saved).predict(np.zeros((1, 3, 32, 32), np.float32)).shape)
    """
    r = run_python(code, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "IMPORTED []" in r.stdout, r.stdout
    assert "PREDICTED (1, 10)" in r.stdout, r.stdout


def test_coremltools_needing_a_hidden_package_is_imported_the_ordinary_way():
    """Should coremltools need one of the packages import_coremltools hides (here: tqdm, which it does need),
    the half-done import is undone and coremltools imported as usual."""
    code = """
        import sys
        from yolocls._backends import import_coremltools
        ct = import_coremltools(unused=("tqdm",))
        print("OK", callable(ct.convert), "tqdm" in sys.modules, sys.modules["coremltools"] is ct)
    """
    r = run_python(code, blocked=("tensorflow", "sklearn", "executorch", "torchao"), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "OK True True True" in r.stdout, r.stdout
