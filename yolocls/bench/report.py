"""Bench reports: Markdown (table + environment), JSON (every figure + manifest), CSV, a PNG chart (chart.py), a
self-contained HTML page (html_report.py), and the rich table on the console, fitted to the terminal. Files are
named by model, image size, date and time, and written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .._io import write_bytes, write_text
from .chart import chart_png
from .report_table import notes, recommendation, table
from .rows import BenchReport

REPORT_EXTS = (".md", ".json", ".csv", ".png", ".html")
# Console columns, least needed first: dropped in this order until the table fits the terminal.
DROP_ORDER = ("mean Δp", "RSS MB", "p99 ms", "Export s", "Top-5 %", "Size MB", "p90 ms", "E2E ms", "Agree %",
              "max Δp", "Precision")


def report_name(checkpoint: str | Path, model_name: str, imgsz: int, when: datetime) -> str:
    """`bench_best-yolov8n-cls_32px_20261125-201500`."""
    stem = Path(checkpoint).stem
    label = stem if model_name in stem else f"{stem}-{model_name}"
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", label)
    return f"bench_{label}_{imgsz}px_{when:%Y%m%d-%H%M%S}"


def markdown(report: BenchReport) -> str:
    s, env = report.settings, report.environment
    head, cells = table(report)
    lines = [f"# yolocls-bench: {s['model_name']} at {s['imgsz']}px", "",
             f"{report.created} · model `{s['model']}`{' (built-in demo)' if s.get('demo') else ''} · data "
             f"`{s['data']}` ({s['val_images']} val images) · device {s['device']} · batch 1 latency over "
             f"{s['runs']} runs after {s['warmup']} warm-up · threads {s['threads'] or 'runtime default'} · "
             f"total {report.wall_s:.1f} s", "",
             *([f"Command: `{s['command']}`", ""] if s.get("command") else []),
             "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c) + " |" for c in cells]
    lines += ["", "Median/p90/p99 ms: pure inference at batch 1 on a preprocessed image. E2E ms: per image from the "
              "file (decode + preprocess + inference + top-5). img/s @b: throughput at batch b. Agree %, max Δp, "
              "mean Δp: top-1 agreement and Δp = \\|p − p_ref\\| against the PyTorch reference on the whole val "
              "split; Parity applies the tolerance of the precision that ran. RSS MB: peak resident memory of the "
              "process that loaded and ran the artifact.", ""]
    rec = recommendation(report)
    if rec:
        lines += [f"**Recommended**: {rec}", ""]
    n = notes(report)
    if n:
        lines += ["## Notes", "", *[f"- {x}" for x in n], ""]
    lines += ["## Parity gate", "", report.gate.summary().replace("\n  - ", "\n- "), ""]
    if report.baseline is not None:
        from .baseline import markdown as baseline_markdown

        lines.append(baseline_markdown(report.baseline))
    lines += ["## Environment", "", "| | |", "|---|---|"]
    for k in ("cpu", "cores", "usable_cores", "memory_gb", "os", "python", "torch", "numpy", "yolocls", "git_commit"):
        lines.append(f"| {k} | {env.get(k)} |")
    if env.get("load_average"):
        la = env["load_average"]
        lines.append(f"| load average (1 min) | {la.get('start')} at start, {la.get('end')} at end |")
    if env.get("cpu_flags"):
        lines.append(f"| cpu flags | {' '.join(env['cpu_flags'])} |")
    for k, v in sorted((env.get("runtimes") or {}).items()):
        lines.append(f"| runtime {k} | {v} |")
    for k, v in sorted((env.get("packages") or {}).items()):
        lines.append(f"| package {k} | {v} |")
    return "\n".join(lines) + "\n"


def csv_text(report: BenchReport) -> str:
    batches = report.settings.get("batch") or [1]
    cols = ["format", "title", "status", "reason", "requested", "precision", "export_s", "size_mb", "top1", "top5",
            "agreement", "max_abs", "mean_abs", "parity_passed", "latency_median_ms", "latency_p90_ms",
            "latency_p99_ms", "latency_mean_ms", "latency_runs", *[f"throughput_b{b}" for b in batches], "e2e_ms",
            "peak_rss_mb", "runtime_version", "dynamic", "artifact"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(cols)
    for r in report.rows:
        lat = r.latency or {}
        d = r.to_dict()
        d.update({f"latency_{k}": lat.get(k) for k in ("median_ms", "p90_ms", "p99_ms", "mean_ms", "runs")})
        d.update({f"throughput_b{b}": r.throughput.get(str(b)) for b in batches})
        w.writerow(["" if d.get(c) is None else d[c] for c in cols])
    return buf.getvalue()


def unique_name(out: str | Path, name: str) -> str:
    """`name`, or `name-2`, `name-3`... when a report of that name is already in `out`."""
    out, base, i = Path(out), name, 1
    while any((out / f"{name}{ext}").exists() for ext in REPORT_EXTS):
        i += 1
        name = f"{base}-{i}"
    return name


def write_reports(report: BenchReport, out: str | Path) -> dict[str, Path]:
    """Write <name>.md/.json/.csv/.png/.html into `out` (atomically); a name already taken gets a -2, -3...
    suffix."""
    from .html_report import html

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report.name = name = unique_name(out, report.name)
    files = {"json": out / f"{name}.json", "md": out / f"{name}.md", "csv": out / f"{name}.csv",
             "png": out / f"{name}.png", "html": out / f"{name}.html"}
    report.files = files
    png = chart_png(report)
    write_text(files["json"], json.dumps({**report.to_dict(), "files": {k: str(v) for k, v in files.items()}},
                                         indent=2, default=str))
    write_text(files["md"], markdown(report))
    write_text(files["csv"], csv_text(report))
    write_bytes(files["png"], png)
    write_text(files["html"], html(report, png, files))
    return files


def terminal_width() -> int | None:
    """The terminal's width when output goes to one (or $COLUMNS says it); None for a pipe or a CI log, which
    get the whole table."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size((120, 24)).columns
    return None


def fit_columns(head: list[str], cells: list[list[str]], width: int | None) -> tuple[list[int], list[str]]:
    """(indices of the columns to show, names of those dropped) so the rich table (one space of padding each
    side, one rule between columns) fits `width`; columns go in DROP_ORDER, then throughput columns beyond the
    first."""
    keep = list(range(len(head)))
    if width is None:
        return keep, []

    def total(cols: list[int]) -> int:
        return 1 + sum(3 + max([len(head[i]), *(len(c[i]) for c in cells)]) for i in cols)

    order = [head.index(h) for h in DROP_ORDER if h in head]
    order += [i for i, h in enumerate(head) if h.startswith("img/s @")][1:]
    dropped = []
    for i in order:
        if total(keep) <= width:
            break
        keep.remove(i)
        dropped.append(head[i])
    return keep, dropped


def print_summary(report: BenchReport, check: bool = False, strict: bool = False) -> None:
    """The table with rich, then the notes, the gate (with --check) and where the reports went."""
    from rich.console import Console
    from rich.table import Table

    width = terminal_width()
    head, cells = table(report)
    keep, dropped = fit_columns(head, cells, width)
    # a pipe or a log gets every column, never squeezed; a terminal gets what fits, no wrapped cells
    console = Console(width=width or max(220, 1 + sum(3 + max([len(h), *(len(c[i]) for c in cells)])
                                                    for i, h in enumerate(head))))
    t = Table(title=f"{report.settings['model_name']} at {report.settings['imgsz']}px, {report.settings['device']}",
              show_lines=False, header_style="bold")
    for i in keep:
        t.add_column(head[i], justify="left" if head[i] in ("Format", "Status", "Precision", "Parity") else "right",
                     no_wrap=True)
    style = {"ok": None, "failed": "red", "unavailable": "dim", "missing": "yellow"}
    for r, c in zip(report.rows, cells, strict=True):
        t.add_row(*[c[i] for i in keep], style=style.get(r.status) or ("red" if r.parity_passed is False else None))
    console.print(t)
    if dropped:
        where = report.files.get("md") if report.files else None
        console.print(f"  ({len(dropped)} columns hidden to fit {width} characters: {', '.join(dropped)}; the full "
                      f"table is in {where or 'the report files'})", highlight=False, markup=False)
    rec = recommendation(report)
    if rec:
        console.print(f"recommended: {rec}", highlight=False, markup=False)
    for n in notes(report):
        console.print("  " + n.replace("**", ""), highlight=False, markup=False)
    if report.baseline is not None:
        from .baseline import table as baseline_table

        c = report.baseline
        bh, bc = baseline_table(c)
        bt = Table(title=f"compared with {c.baseline}", header_style="bold")
        for h in bh:
            bt.add_column(h, justify="left" if h in ("Format", "Precision", "Verdict") else "right", no_wrap=True)
        for row in bc:
            bt.add_row(*row, style="red" if row[-1].startswith("REGRESSION") else None)
        console.print(bt)
        for n in c.notes:
            console.print(f"  not comparable: {n}", highlight=False, markup=False)
        if check or not c.passed:
            console.print("baseline comparison passed" if c.passed else
                          "baseline comparison FAILED:\n" + "\n".join(f"  - {f}" for f in c.failures),
                          style="green" if c.passed else "bold red", highlight=False, markup=False)
    if check:
        console.print(report.gate.summary(), style="green" if report.gate.passed else "bold red", highlight=False)
    if report.files:
        console.print(f"reports: {', '.join(str(p) for p in report.files.values())}", highlight=False)
    stages = ", ".join(f"{k} {v:.1f}" for k, v in report.timeline.items())
    console.print(f"done in {report.wall_s:.1f} s ({stages or 'export, val, parity and timing'}; reports written "
                  f"after)",
                  highlight=False)


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a JSON report back (for tooling and tests)."""
    return json.loads(Path(path).read_text())
