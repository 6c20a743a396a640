"""Report files (Markdown, JSON, CSV, PNG), the gate over rows, and argument handling, on hand-made rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from PIL import Image

from yolocls.bench.options import build_tolerances, export_options, parse_batches
from yolocls.bench.report import load_report, markdown, report_name, write_reports
from yolocls.bench.rows import evaluate_gate
from yolocls.errors import ConfigError
from yolocls.exporters import ExporterSpec


def test_reports_are_written_named_and_readable(report, tmp_path):
    files = write_reports(report, tmp_path)
    assert {p.name for p in files.values()} == {f"{report.name}.{e}" for e in ("md", "json", "csv", "png", "html")}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files.values())  # no temp files
    data = load_report(files["json"])
    assert [r["format"] for r in data["rows"]] == ["pt", "alpha", "beta", "gamma", "delta", "eps"]
    assert data["environment"]["cpu"] == "Test CPU" and data["gate"]["passed"] is False
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text())))
    assert [r["format"] for r in rows] == [r.format for r in report.rows]
    assert float(rows[1]["latency_median_ms"]) == 0.5 and float(rows[1]["throughput_b8"]) == 16000
    md = files["md"].read_text()
    for label in ("| alpha | ok |", "| gamma | not available here |", "| delta | missing dependency |",
                  "| eps | FAILED |", "| beta | ok |", "FAIL", "Test CPU", "its runtime runs only on macOS"):
        assert label in md, label
    header = next(line for line in md.splitlines() if line.startswith("| Format"))
    assert header.count("|") == next(line for line in md.splitlines() if line.startswith("| alpha")).count("|")


def test_chart_is_an_image_of_sensible_size(report, tmp_path):
    png = write_reports(report, tmp_path)["png"]
    with Image.open(png) as im:
        im.load()
        assert im.format == "PNG" and 600 <= im.width <= 3000 and 400 <= im.height <= 2000
        extrema = im.convert("L").getextrema()
    assert extrema[1] - extrema[0] > 100  # drawn on, not a blank canvas


def test_a_second_report_in_the_same_second_gets_its_own_name(report, tmp_path):
    first = write_reports(report, tmp_path)["json"]
    report.name = first.stem
    second = write_reports(report, tmp_path)["json"]
    assert second != first and second.name.endswith("-2.json") and json.loads(first.read_text())


def test_report_name_carries_model_size_date_and_time():
    name = report_name("runs/train/weights/best.pt", "yolov8n-cls", 224, datetime(2026, 11, 25, 20, 15, 0))
    assert name == "bench_best-yolov8n-cls_224px_20261125-201500"


def test_gate_fails_only_on_formats_that_ran(report):
    gate = evaluate_gate(report.rows)
    assert not gate.passed and gate.checked == ["alpha", "beta"]
    assert gate.failures == ["beta [fp32]: max |dp| 0.03 > 0.0001"]
    assert evaluate_gate([r for r in report.rows if r.format != "beta"]).passed
    assert "beta" in markdown(report).split("## Parity gate")[1]


def test_tolerance_flags_override_every_or_one_precision():
    t = build_tolerances(max_abs=1e-3)
    assert t["fp32"].max_abs == 1e-3 and t["fp16"].max_abs == 1e-3
    t = build_tolerances(max_abs="fp16:1e-2", min_agreement=0.9)
    assert t["fp16"].max_abs == 1e-2 and t["fp32"].max_abs == 1e-4 and t["int8"].min_agreement == 0.9
    with pytest.raises(ConfigError, match="unknown precision 'fp64'"):
        build_tolerances(max_abs="fp64:1")


def test_options_a_format_does_not_take_are_not_passed_and_the_precision_asked_is_recorded():
    spec = ExporterSpec(name="x", title="X", suffix=".x", options=frozenset({"imgsz", "dynamic"}))
    opts, requested, ignored = export_options(spec, imgsz=64, device="cpu", half=True, int8=False, dynamic=True,
                                              data="digits")
    assert opts == {"imgsz": 64, "dynamic": True} and requested == "fp32" and ignored == ["half"]
    spec = ExporterSpec(name="y", title="Y", suffix=".y", options=frozenset({"imgsz", "int8", "device"}))
    opts, requested, _ = export_options(spec, imgsz=64, device="cpu", half=False, int8=True, dynamic=False,
                                        data="/data/x")
    assert opts == {"imgsz": 64, "device": "cpu", "int8": True, "data": "/data/x"} and requested == "int8"


def test_batch_lists():
    assert parse_batches("1,8,32") == [1, 8, 32] and parse_batches(4) == [4] and parse_batches([8, 1, 8]) == [1, 8]
    with pytest.raises(ConfigError):
        parse_batches("0")


def test_recommended_is_the_fastest_format_that_passes_parity_in_every_report(tmp_path, capsys):
    from yolocls.bench.report import print_summary
    from yolocls.bench.rows import recommend

    from .fake_report import fake_report, make_row

    report = fake_report()
    report.rows[2] = make_row("beta", passed=False, ms=0.2, parity_failures=["max |dp| 0.03 > 0.0001"])
    rec = report.recommended  # beta is faster but fails parity: alpha (0.5 ms) is named, 6x the reference
    assert (rec["format"], rec["median_ms"], rec["speedup_vs_reference"], rec["candidates"]) == ("alpha", 0.5, 6.0, 2)
    files = write_reports(report, tmp_path)
    assert load_report(files["json"])["recommended"]["format"] == "alpha"
    line = "alpha (fp32): the fastest format that passes parity on this machine, 0.500 ms median at batch 1"
    assert f"**Recommended**: {line}" in files["md"].read_text() and line in files["html"].read_text()
    print_summary(report)
    assert f"recommended: {line}" in capsys.readouterr().out
    slow = [make_row("pt", reference=True, ms=1.0), make_row("alpha", ms=2.0)]
    assert recommend(slow)["format"] == "pt"  # the reference wins when nothing is faster
    assert recommend([make_row("pt", reference=True, status="failed"), make_row("beta", passed=False)]) is None


def test_export_groups_keep_formats_of_one_backend_together_costliest_first(monkeypatch):
    from yolocls.bench.runner import export_lanes, plan_groups
    from yolocls.exporters import exporter_names, get_exporter

    jobs = {f: {} for f in exporter_names()}
    groups = plan_groups(jobs)
    assert sorted(f for g in groups for f in g) == sorted(jobs)
    first = {f: get_exporter(f)[0].group for f in jobs}
    for g in groups:  # one backend's formats (its import, its conversion cache) in one group, in the run's order
        assert len({first[f] for f in g}) == 1 and g == [f for f in jobs if f in g]
    assert len(groups) == len(set(first.values()))
    assert first["onnx"] == "onnx" and first["ncnn"] == "ncnn"  # by default, the first module required
    assert first["paddle"] == "tensorflow"  # TensorFlow's worker imports paddle first anyway
    cost = [sum(get_exporter(f)[0].cost_s for f in g) for g in groups]
    assert cost == sorted(cost, reverse=True) and cost[0] > cost[-1]
    tf = next(g for g in groups if "saved_model" in g)
    assert {"pb", "tflite", "tfjs", "paddle"} <= set(tf) and groups.index(tf) < groups.index(["onnx"])
    assert plan_groups({}) == []
    monkeypatch.delenv("YOLOCLS_BENCH_EXPORT_LANES", raising=False)
    assert export_lanes(1) == 1 and export_lanes(2) == 2 and export_lanes(16) == 2
    monkeypatch.setenv("YOLOCLS_BENCH_EXPORT_LANES", "1")
    assert export_lanes(2) == 1
    monkeypatch.setenv("YOLOCLS_BENCH_EXPORT_LANES", "3")
    assert export_lanes(2) == 3
