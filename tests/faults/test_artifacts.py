"""Corrupt, truncated, misnamed and incomplete artifacts: one line naming the file, the format and what is wrong
(truncated, not this format, missing file), never a runtime's raw exception."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from yolocls.cli import main
from yolocls.errors import ArtifactError, ArtifactMissingError, CheckpointError, YoloclsError

from .conftest import TRACEBACK, run_cli


def _cut(src: Path, dst: Path, frac: float = 0.5) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * frac)])
    return dst


def _random(dst: Path) -> Path:
    # A leading NUL: random bytes may otherwise start with "{" or "[" (about 1 in 60, seen in a full run), which
    # is rightly sniffed as a JSON file rather than "not a <format> artifact".
    dst.write_bytes(b"\x00" + os.urandom(19_999))
    return dst


def _without(folder: Path, dst: Path, name: str) -> Path:
    shutil.copytree(folder, dst)
    (dst / name).unlink()
    return dst


def _xml_cut(folder: Path, dst: Path) -> Path:
    shutil.copytree(folder, dst)
    _cut(dst / "best.xml", dst / "best.xml")
    return dst


# case -> (make the bad artifact from the fault model, words the one line must hold)
CASES: dict[str, tuple[Callable[[dict[str, Path], Path], Path], tuple[str, ...]]] = {
    "random bytes .onnx": (lambda m, d: _random(d / "best.onnx"), ("best.onnx", "onnx", "is not an ONNX model")),
    "truncated .onnx": (lambda m, d: _cut(m["onnx"], d / "best.onnx"), ("best.onnx", "truncated")),
    "empty .onnx": (lambda m, d: _cut(m["onnx"], d / "best.onnx", 0), ("best.onnx", "empty")),
    ".pt renamed .onnx": (lambda m, d: Path(shutil.copy(m["pt"], d / "best.onnx")),
                          ("best.onnx", "is a PyTorch checkpoint (.pt), not an ONNX model", "rename it to best.pt")),
    ".onnx renamed .pt": (lambda m, d: Path(shutil.copy(m["onnx"], d / "best.pt")),
                          ("best.pt", "is an ONNX model", "not a PyTorch checkpoint")),
    "truncated .pt": (lambda m, d: _cut(m["pt"], d / "best.pt"), ("best.pt", "truncated")),
    "truncated .torchscript": (lambda m, d: _cut(m["torchscript"], d / "best.torchscript"),
                               ("best.torchscript", "torchscript", "truncated")),
    "openvino folder without its .bin": (lambda m, d: _without(m["openvino"], d / "best_openvino_model", "best.bin"),
                                         ("best.bin", "openvino", "missing")),
    "openvino .xml cut in half": (lambda m, d: _xml_cut(m["openvino"], d / "best_openvino_model"),
                                  ("best.xml", "openvino", "truncated")),
    "empty x_openvino_model/": (lambda m, d: Path(os.mkdir(d / "x_openvino_model") or d / "x_openvino_model"),
                                ("x_openvino_model", "openvino", "no OpenVINO .xml")),
    "missing file": (lambda m, d: d / "nope.onnx", ("nope.onnx", "does not exist")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_cli_predict_on_a_bad_artifact_is_one_clear_line(case, fault_model, tmp_path, capsys):
    make, words = CASES[case]
    bad = make(fault_model, tmp_path)
    rc = main(["predict", f"model={bad}", f"source={fault_model['img']}", "verbose=False"])
    err = capsys.readouterr().err
    assert rc == 2 and TRACEBACK not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "could run code" not in lines[0]  # an .onnx renamed .pt is not a malicious pickle


def test_python_api_raises_typed_errors_naming_file_and_format(fault_model, tmp_path):
    from yolocls import YOLO
    from yolocls.runtimes import load_runtime

    with pytest.raises(ArtifactError, match=r"best\.onnx' as onnx: .*truncated") as e:
        YOLO(_cut(fault_model["onnx"], tmp_path / "best.onnx"))
    assert e.value.path.endswith("best.onnx") and e.value.format == "onnx"
    with pytest.raises(ArtifactMissingError) as e:  # still a FileNotFoundError for code that catches that
        load_runtime(tmp_path / "gone_openvino_model")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, YoloclsError)
    with pytest.raises(CheckpointError, match="is an ONNX model"):
        YOLO(shutil.copy(fault_model["onnx"], tmp_path / "x.pt"))


def test_val_and_export_on_corrupt_files_are_one_line(fault_model, tmp_path, capsys):
    bad_onnx = _cut(fault_model["onnx"], tmp_path / "best.onnx", 0.3)
    assert main(["val", f"model={bad_onnx}", "data=digits", "plots=False"]) == 2
    bad_pt = _cut(fault_model["pt"], tmp_path / "bad.pt", 0.3)
    assert main(["export", f"model={bad_pt}", "format=onnx"]) == 2
    err = capsys.readouterr().err
    assert TRACEBACK not in err and "best.onnx" in err and "bad.pt" in err and err.count("truncated") == 2


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback():
    # A fault injected into the child: an exception of no yolocls type, from deep inside a mode.
    inject = ("import sys, yolocls.engine.model as m\n"
              "def boom(self, *a, **k):\n    raise RuntimeError('injected fault')\n"
              "m.YOLO.info = boom\n"
              "from yolocls.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    plain = run_cli("info", python=("-c", inject))
    assert plain.rc == 1 and TRACEBACK not in plain.out
    line = [ln for ln in plain.out.splitlines() if ln.startswith("error:")]
    assert line == ["error: RuntimeError: injected fault (unexpected; run again with --debug or YOLOCLS_DEBUG=1 for "
                    "the traceback)"], plain.out
    debug = run_cli("info", "--debug", python=("-c", inject))
    assert debug.rc == 1 and TRACEBACK in debug.out and "in boom" in debug.out and line[0] in debug.out
    assert TRACEBACK in run_cli("info", env={"YOLOCLS_DEBUG": "1"}, python=("-c", inject)).out


@pytest.mark.slow
@pytest.mark.tensorflow
def test_truncated_tflite_and_a_saved_model_pb(fault_model, tmp_path_factory, capsys):
    """A truncated .tflite is truncated (not 'has no yolocls metadata'); a SavedModel's saved_model.pb given as
    the model loads the folder; random bytes named .pb are not a GraphDef."""
    from yolocls import YOLO
    from yolocls.runtimes import detect_format

    d = tmp_path_factory.mktemp("tf")
    model = YOLO(shutil.copy(fault_model["pt"], d / "best.pt"))
    tflite, saved = Path(model.export(format="tflite")), Path(model.export(format="saved_model"))
    cut = d / "cut"
    cut.mkdir()
    for frac, words in ((0.5, "truncated or damaged"), (0.99, "truncated")):
        with pytest.raises(ArtifactError, match=r"best\.tflite' as tflite") as e:
            YOLO(_cut(tflite, cut / "best.tflite", frac))
        assert words in str(e.value) and "no yolocls metadata" not in str(e.value)
    pb = saved / "saved_model.pb"
    assert detect_format(pb) == "saved_model"
    r = YOLO(pb).predict(fault_model["img"], verbose=False)[0]
    assert r.ok and YOLO(saved).predict(fault_model["img"], verbose=False)[0].probs.top1 == r.probs.top1
    assert main(["predict", f"model={_random(d / 'best.pb')}", f"source={fault_model['img']}"]) == 2
    assert "best.pb' as pb: the file is not a pb artifact" in capsys.readouterr().err
