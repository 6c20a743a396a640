"""Several formats in one run: `all`, failures recorded with their reasons, the table, the manifest, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yolocls import metadata as md_io
from yolocls.cli import export_main, main
from yolocls.engine.export_many import export_formats
from yolocls.errors import UnknownFormatError
from yolocls.exporters import ExporterSpec, _registry, exporter_names, parse_formats, register_exporter
from yolocls.runtimes import _registry as rt_registry


@pytest.fixture
def test_formats():
    """Two throw-away formats: `junk` writes garbage and exits 0; `needsdep` needs a package nobody has."""

    @register_exporter(ExporterSpec(name="junk", title="Junk", suffix=".onnx.junk", options=frozenset({"imgsz"})))
    def junk(ctx):
        ctx.path.write_bytes(b"not a model")
        return ctx.path

    @register_exporter(ExporterSpec(name="needsdep", title="NeedsDep", suffix=".nd", extra="needsdep",
                                    requires=("yolocls_no_such_package",)))
    def needsdep(ctx):
        raise AssertionError("never called: the dependency check comes first")

    from yolocls.runtimes.onnx import OnnxRuntime

    rt_registry._RUNTIMES["junk"] = type("JunkRuntime", (OnnxRuntime,), {"name": "junk", "suffixes": (".onnx.junk",)})
    yield
    for name in ("junk", "needsdep"):
        _registry._EXPORTERS.pop(name, None)
        rt_registry._RUNTIMES.pop(name, None)


def test_all_records_each_failure_goes_on_and_writes_the_manifest(ckpt_copy, test_formats, capsys):
    results = export_formats(ckpt_copy, "junk,needsdep,onnx,engine", simplify=False)
    by = {r.format: r for r in results}
    assert [r.format for r in results] == ["junk", "needsdep", "onnx", "engine"]
    assert by["junk"].status == "failed" and "does not load and run" in by["junk"].reason
    assert not (ckpt_copy.parent / "best.onnx.junk").exists(), "a junk artifact must not be left in place"
    assert by["needsdep"].status == "missing" and "pip install 'yolocls[needsdep]'" in by["needsdep"].reason
    assert by["engine"].status == "missing" and "pypi.nvidia.com" in by["engine"].reason  # TensorRT's own index
    ok = by["onnx"]
    assert ok.status == "ok" and ok.verified and Path(ok.path).is_file() and ok.size_mb > 1
    out = capsys.readouterr().out
    for word in ("format", "status", "size MB", "seconds", "best.onnx", "failed", "missing"):
        assert word in out
    man = json.loads((ckpt_copy.parent / "best_export_manifest.json").read_text())
    rows = {r["format"]: r for r in man["formats"]}
    assert man["summary"] == {"ok": 1, "failed": 1, "unavailable": 0, "missing": 2}
    assert man["options"] == {"simplify": False}
    assert rows["onnx"]["sha256"] == ok.sha256 and rows["onnx"]["versions"]["onnx"]
    assert rows["needsdep"]["versions"] == {"yolocls_no_such_package": "not installed"}
    assert man["model"]["sha256"] == md_io.loads(
        __import__("onnx").load(ok.path).metadata_props[0].value)["source"]["sha256"]


def test_exit_code_is_nonzero_only_when_all_failed_or_strict(ckpt_copy, test_formats, capsys):
    assert export_main(["--model", str(ckpt_copy), "--format", "onnx,needsdep", "--simplify", "false"]) == 0
    assert export_main(["--model", str(ckpt_copy), "--format", "onnx,needsdep", "--strict"]) == 1
    assert main(["export", f"model={ckpt_copy}", "format=junk,needsdep"]) == 1
    assert main(["export", f"model={ckpt_copy}", "format=[onnx]"]) == 0  # a YAML list works too


def test_unknown_format_fails_before_exporting_and_lists_the_valid_names(ckpt_copy, capsys):
    with pytest.raises(UnknownFormatError, match=r"'onxx' \(did you mean 'onnx'\?\); valid formats: torchscript, "
                                                 r"onnx, openvino.*or 'all'"):
        parse_formats("onnx,onxx")
    with pytest.raises(UnknownFormatError, match="PyTorch checkpoint itself"):
        parse_formats("pt")
    assert main(["export", f"model={ckpt_copy}", "format=torchscript,onxx"]) == 2
    assert "valid formats" in capsys.readouterr().err
    assert not list(ckpt_copy.parent.glob("best.torchscript"))


def test_all_means_every_registered_format_and_help_lists_them(capsys):
    assert parse_formats("all") == exporter_names() == parse_formats(["all"])
    assert parse_formats(" onnx , openvino,onnx") == ["onnx", "openvino"]
    assert main(["export", "--help"]) == 0
    out = capsys.readouterr().out
    for name in exporter_names():
        assert f"\n  {name} " in out
    assert "format=torchscript" in out and "strict=False" in out


def test_single_format_export_points_several_formats_to_export_formats(ckpt_copy):
    from yolocls import YOLO

    with pytest.raises(UnknownFormatError, match="export_formats"):
        YOLO(ckpt_copy).export(format="all")
