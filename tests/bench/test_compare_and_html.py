"""The baseline comparison, the HTML report and the console table fitted to the terminal, on hand-made rows
(the end-to-end baseline run is in test_bench_run.py)."""

from __future__ import annotations

import base64
import copy
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from PIL import Image

from yolocls.bench.baseline import compare, load_baseline
from yolocls.bench.report import print_summary, write_reports
from yolocls.errors import ConfigError


def _as_dict(report) -> dict:
    return json.loads(json.dumps(report.to_dict(), default=str))


def _scale_latency(doc: dict, fmt: str, factor: float) -> dict:
    doc = copy.deepcopy(doc)
    row = next(r for r in doc["rows"] if r["format"] == fmt)
    row["latency"] = {k: (v * factor if k.endswith("_ms") else v) for k, v in row["latency"].items()}
    return doc


def test_a_rerun_passes_and_a_planted_regression_fails(report):
    old = _as_dict(report)
    for r in old["rows"]:  # quartiles as a real run records them
        if r["latency"]:
            r["latency"].update(p25_ms=r["latency"]["median_ms"] * 0.97, p75_ms=r["latency"]["median_ms"] * 1.03)
    same = compare(old, copy.deepcopy(old))
    assert same.passed and same.comparable and {r.verdict for r in same.rows} == {"ok"}

    slower = compare(old, _scale_latency(old, "alpha", 1.6))
    assert not slower.passed
    row = next(r for r in slower.rows if r.format == "alpha")
    assert row.verdict == "REGRESSION (slower)" and row.ratio == pytest.approx(1.6)
    assert any("alpha [fp32]" in f and "1.60x slower" in f for f in slower.failures)
    assert compare(old, _scale_latency(old, "alpha", 1.6), max_slowdown=2.0).passed  # --max-slowdown

    faster = compare(old, _scale_latency(old, "alpha", 0.5))
    assert faster.passed and next(r for r in faster.rows if r.format == "alpha").verdict == "faster"


def test_a_noisy_run_whose_spread_covers_the_baseline_is_within_noise(report):
    old = _as_dict(report)
    new = _scale_latency(old, "alpha", 1.4)
    for doc, (q1, q3) in ((old, (0.9, 1.6)), (new, (0.7, 1.2))):  # factors of the baseline's median
        lat = next(r for r in doc["rows"] if r["format"] == "alpha")["latency"]
        lat.update(p25_ms=0.5 * q1, p75_ms=0.5 * q3)
    c = compare(old, new)
    assert c.passed and next(r for r in c.rows if r.format == "alpha").verdict == "within noise"


def test_parity_and_status_regressions_fail_and_other_machines_are_not_compared(report):
    old = _as_dict(report)
    new = copy.deepcopy(old)
    alpha = next(r for r in new["rows"] if r["format"] == "alpha")
    alpha.update(parity_passed=False, parity_failures=["max |dp| 0.1 > 0.0001"])
    pt = next(r for r in new["rows"] if r["format"] == "pt")
    pt.update(status="failed", reason="crashed")
    c = compare(old, new)
    assert not c.passed and len(c.failures) == 2
    assert any("parity passed in the baseline" in f for f in c.failures)
    assert any("pt [fp32]: ran in the baseline, FAILED now" in f for f in c.failures)

    other = _scale_latency(old, "alpha", 3.0)
    other["environment"]["cpu"] = "Another CPU"
    c = compare(old, other)
    assert not c.comparable and "Another CPU" in c.notes[0]
    assert next(r for r in c.rows if r.format == "alpha").verdict == "not compared"


def test_a_bad_baseline_file_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_baseline(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match="not a yolocls-bench JSON report"):
        load_baseline(tmp_path / "x.json")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "a":
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a["src"])
        if tag in ("script", "link") or (tag == "img" and not a["src"].startswith("data:")):
            self.external.append(tag)


def test_html_report_parses_embeds_its_chart_and_links_files_that_exist(report, tmp_path):
    report.baseline = compare(_as_dict(report), _scale_latency(_as_dict(report), "alpha", 2.0))
    files = write_reports(report, tmp_path)
    text = files["html"].read_text()
    page = _Page()
    page.feed(text)
    page.close()
    assert page.tags.count("table") == 3  # results, baseline comparison, environment
    assert not page.external  # self-contained: no script, stylesheet or remote image
    (img,) = page.images
    png = base64.b64decode(img.split(",", 1)[1])
    assert png == files["png"].read_bytes()
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.width >= 600
    # the chart links to its PNG, and the Files list to every other report file
    assert page.links.count(files["png"].name) == 2
    assert set(page.links) == {p.name for k, p in files.items() if k != "html"}
    assert all((tmp_path / link).is_file() for link in page.links)
    for needle in ("alpha", "runtime crashed (SIGSEGV)", "Test CPU", "REGRESSION (slower)", "Parity gate"):
        assert needle in text


def test_console_table_fits_the_terminal_and_says_what_it_hid(report, tmp_path, monkeypatch, capsys):
    report.files = write_reports(report, tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    print_summary(report)
    out = capsys.readouterr().out
    table_lines = [x for x in out.splitlines() if x.startswith(("┃", "│", "┏", "└", "┡"))]
    assert table_lines and max(len(x) for x in table_lines) <= 100
    joined = out.replace("\n", "")  # the note wraps at the terminal's width too
    assert "columns hidden to fit 100 characters" in joined and str(report.files["md"]) in joined
    monkeypatch.delenv("COLUMNS")  # a pipe (pytest's capture) gets every column
    print_summary(report)
    out = capsys.readouterr().out
    assert "hidden" not in out and "RSS MB" in out and "mean Δp" in out


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_html_report_renders_in_headless_chromium(report, tmp_path):
    files = write_reports(report, tmp_path)
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                    "--hide-scrollbars", "--window-size=1400,1800", f"--screenshot={shot}",
                    files["html"].as_uri()], check=True, capture_output=True, timeout=120)
    with Image.open(shot) as im:
        assert im.size == (1400, 1800)
        grey = im.convert("L")
        # the page is drawn (text, tables, chart), not blank
        assert grey.getextrema()[1] - grey.getextrema()[0] > 150
        assert len(grey.histogram()) == 256 and sum(1 for n in grey.histogram() if n) > 20
