"""The fourteen export formats, and `litert` as a second name of `tflite` wherever a format is named: the
registries, `export()`, the CLI's format list and help, the bench, and artifact detection."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from yolocls import YOLO
from yolocls.bench.options import export_options
from yolocls.cli import main
from yolocls.errors import UnknownFormatError
from yolocls.exporters import exporter_names, get_exporter, parse_formats
from yolocls.runtimes import detect_format, get_runtime, load_runtime
from yolocls.runtimes.tflite import read_metadata


def test_fourteen_export_formats_in_table_order():
    assert exporter_names() == ["torchscript", "onnx", "openvino", "engine", "coreml", "saved_model", "pb", "tflite",
                                "edgetpu", "tfjs", "paddle", "ncnn", "mnn", "executorch"]


def test_bench_int8_reaches_onnx_mnn_and_executorch():
    for fmt in ("onnx", "mnn", "executorch"):
        opts, requested, ignored = export_options(get_exporter(fmt)[0], imgsz=32, device="cpu", half=False,
                                                  int8=True, dynamic=False, data="/data/val")
        assert opts["int8"] is True and opts["data"] == "/data/val" and requested == "int8" and not ignored, fmt


def test_litert_names_the_tflite_entry_everywhere(capsys):
    assert get_exporter("litert") is get_exporter("tflite") and get_exporter("LiteRT")[0].name == "tflite"
    assert parse_formats("litert,onnx") == ["tflite", "onnx"] and parse_formats("litert,tflite") == ["tflite"]
    assert get_runtime("litert") is get_runtime("tflite") and detect_format("best.tflite") == "tflite"
    assert "litert" not in exporter_names()  # one entry: `all` exports it once
    with pytest.raises(UnknownFormatError, match="did you mean 'litert'.*'litert' is another name of 'tflite'"):
        get_exporter("litrt")
    assert main(["export", "--help"]) == 0
    assert "litert = tflite" in capsys.readouterr().out


def flatbuffer_and_metadata(path: Path) -> tuple[bytes, dict]:
    """The model bytes before the appended metadata zip, and the metadata without its date."""
    with zipfile.ZipFile(path) as zf:
        start = min(i.header_offset for i in zf.infolist())
    md = read_metadata(path)
    md.pop("date")
    return path.read_bytes()[:start], md


@pytest.mark.slow
@pytest.mark.tensorflow
def test_format_litert_and_format_tflite_write_the_same_artifact(digits_ckpt, tmp_path):
    paths = {}
    for name in ("litert", "tflite"):
        ckpt = shutil.copy(digits_ckpt, (tmp_path / name).mkdir() or tmp_path / name / "best.pt")
        paths[name] = Path(YOLO(ckpt).export(format=name))
    assert paths["litert"].name == paths["tflite"].name == "best.tflite"
    lite, tfl = (flatbuffer_and_metadata(p) for p in paths.values())
    assert lite == tfl and lite[1]["format"] == "tflite"
    assert load_runtime(paths["litert"], fmt="litert").name == "tflite"
