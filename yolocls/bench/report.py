"""Bench reports: Markdown (table + environment), JSON (every figure + manifest), CSV, a PNG chart, and the
rich table on the console. Files are named by model, image size, date and time, and written atomically."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from .._io import write_bytes, write_text
from .rows import STATUS_LABELS, BenchReport, Row


def report_name(checkpoint: str | Path, model_name: str, imgsz: int, when: datetime) -> str:
    """`bench_best-yolov8n-cls_32px_20261125-201500`."""
    stem = Path(checkpoint).stem
    label = stem if model_name in stem else f"{stem}-{model_name}"
    label = re.sub(r"[^A-Za-z0-9._-]+", "_", label)
    return f"bench_{label}_{imgsz}px_{when:%Y%m%d-%H%M%S}"


def _num(v: float | None, fmt: str = ".2f") -> str:
    return "—" if v is None else format(v, fmt)


def _pct(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{100 * v:.{digits}f}"


def _parity(r: Row) -> str:
    if r.reference:
        return "reference"
    if r.parity_passed is None:
        return "—"
    return "pass" if r.parity_passed else "FAIL"


def table(report: BenchReport) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the results table (shared by Markdown and the console)."""
    batches = report.settings.get("batch") or [1]
    head = ["Format", "Status", "Precision", "Size MB", "Export s", "Top-1 %", "Top-5 %", "Agree %",
            "max Δp", "mean Δp", "Parity", "Median ms", "p90 ms", "p99 ms", "E2E ms",
            *[f"img/s @{b}" for b in batches], "RSS MB"]
    cells = []
    for r in report.rows:
        lat = r.latency or {}
        prec = r.precision or "—"
        if r.precision and r.precision != r.requested and not r.reference:
            prec = f"{r.precision} (asked {r.requested})"
        cells.append([
            r.format, STATUS_LABELS.get(r.status, r.status), prec, _num(r.size_mb, ".1f"), _num(r.export_s, ".2f"),
            _pct(r.top1), _pct(r.top5), "—" if r.reference else _pct(r.agreement, 2),
            "—" if r.reference or r.max_abs is None else f"{r.max_abs:.2e}",
            "—" if r.reference or r.mean_abs is None else f"{r.mean_abs:.2e}",
            _parity(r), _num(lat.get("median_ms"), ".3f"), _num(lat.get("p90_ms"), ".3f"),
            _num(lat.get("p99_ms"), ".3f"), _num(r.e2e_ms, ".3f"),
            *[_num(r.throughput.get(str(b)), ".0f") for b in batches], _num(r.peak_rss_mb, ".0f"),
        ])
    return head, cells


def busy_warning(report: BenchReport) -> str | None:
    """A warning when other work loaded the machine during the run (latencies are then inflated)."""
    env = report.environment
    # The load when the run started: later readings include the bench's own work.
    load = (env.get("load_average") or {}).get("start")
    cores = env.get("usable_cores") or env.get("cores") or 1
    if load is not None and load > 0.75 * cores:
        return (f"the machine was busy when this run started (load average {load:.1f} on {cores} cores): "
                f"latencies and throughput are inflated; rerun on an idle machine for figures to compare")
    return None


def notes(report: BenchReport) -> list[str]:
    """One line per row with something to say (why it did not run, what it did not honour, parity breaches)."""
    busy = busy_warning(report)
    out = [f"**Warning**: {busy}"] if busy else []
    if report.settings.get("threads_note"):
        out.append(f"**Threads**: {report.settings['threads_note']}")
    for r in report.rows:
        bits = []
        if r.reason and not r.reference:
            bits.append(r.reason)
        if r.not_honoured:
            bits.append("does not take " + ", ".join(r.not_honoured))
        if r.parity_failures:
            bits.append("parity: " + "; ".join(r.parity_failures))
        if bits:
            out.append(f"**{r.format}** ({STATUS_LABELS.get(r.status, r.status)}): " + " — ".join(bits))
    return out


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
    n = notes(report)
    if n:
        lines += ["## Notes", "", *[f"- {x}" for x in n], ""]
    lines += ["## Parity gate", "", report.gate.summary().replace("\n  - ", "\n- "), ""]
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


def _label_points(fig: Any, ax: Any, placed: list[tuple[Row, float, float]]) -> None:
    """Label every point without overlaps: formats often tie on top-1, so labels go to the nearest free level
    above or below their point (greedy, in display space), with a leader line when moved away."""
    scale = fig.dpi / 72  # points -> pixels
    levels: dict[int, list[tuple[float, float]]] = {}
    for r, y, radius in placed:
        px, _ = ax.transData.transform((r.median_ms, y))
        text = f"{r.format}\n{r.precision}, {r.size_mb or 0:.1f} MB"
        half = 0.5 * max(len(t) for t in text.splitlines()) * 5.2 * scale  # ~5.2 pt per character at 8.5 pt
        for level in (0, -1, 1, -2, 2, -3, 3, -4, 4, -5, 5):
            spans = levels.setdefault(level, [])
            if all(px + half + 4 < a or px - half - 4 > b for a, b in spans):
                spans.append((px - half, px + half))
                break
        step = 26  # points between label levels (two lines of 8.5 pt text)
        dy = (radius + 3 + step * (abs(level) if level >= 0 else abs(level) - 1)) * (1 if level >= 0 else -1)
        ax.annotate(text, (r.median_ms, y), xytext=(0, dy), textcoords="offset points", ha="center",
                    va="bottom" if dy > 0 else "top", fontsize=8.5, zorder=4,
                    arrowprops={"arrowstyle": "-", "color": "#888888", "lw": 0.6} if abs(dy) > radius + 10 else None)


def chart_png(report: BenchReport) -> bytes:
    """Latency (x, log) against top-1 (y; top-1 agreement when the data's labels do not fit the model); marker
    area by artifact size; colour by parity; every point labelled."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    s = report.settings
    pts = [r for r in report.rows if r.ran and r.median_ms]
    use_top1 = all(r.top1 is not None for r in pts) and pts
    fig, ax = plt.subplots(figsize=(9, 6), dpi=110)
    sizes = [max(r.size_mb or 0.0, 0.01) for r in pts]
    smax = max(sizes, default=1.0)
    placed = []
    for r, sz in sorted(zip(pts, sizes, strict=True), key=lambda t: t[0].median_ms):
        y = 100 * (r.top1 if use_top1 else (1.0 if r.reference else r.agreement or 0.0))
        colour = "#1f77b4" if r.reference else "#2ca02c" if r.parity_passed else "#d62728"
        area = 60 + 900 * sz / smax  # points^2
        ax.scatter(r.median_ms, y, s=area, color=colour, alpha=0.55, edgecolors="black", linewidths=0.8, zorder=3)
        placed.append((r, y, math.sqrt(area / math.pi)))
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_xlabel("latency, batch 1, median (ms, log scale) — lower is better")
    ax.set_ylabel(("val top-1 (%)" if use_top1 else "top-1 agreement with PyTorch (%)") + " — higher is better")
    if placed:
        ys = [y for _, y, _ in placed]
        lo, hi = min(ys), max(ys)
        pad = max(1.0, (hi - lo) * 0.3)
        ax.set_ylim(lo - pad, min(100.5, hi + pad) if hi <= 100 else hi + pad)
        xs = [r.median_ms for r, _, _ in placed]
        ax.set_xlim(min(xs) / 1.6, max(xs) * 2.2)
    ax.grid(True, which="both", alpha=0.3)
    title = f"{s['model_name']} at {s['imgsz']}px on {s['device']} — {report.environment.get('cpu', '')}"
    ax.set_title(title[:110], fontsize=10)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=c, alpha=0.6, markersize=9, label=t) for c, t in
               (("#1f77b4", "PyTorch reference"), ("#2ca02c", "parity pass"), ("#d62728", "parity FAIL"))]
    ax.legend(handles=handles, loc="lower right", fontsize=8, title="marker area ~ artifact size", title_fontsize=8)
    skipped = [f"{r.format} ({STATUS_LABELS.get(r.status, r.status)})" for r in report.rows if not r.ran]
    if skipped:
        fig.text(0.01, 0.01, "not shown: " + ", ".join(skipped), fontsize=7.5, color="#555555", wrap=True)
    fig.tight_layout(rect=(0, 0.03 if skipped else 0, 1, 1))
    _label_points(fig, ax, placed)  # after the layout: it works in display coordinates
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_reports(report: BenchReport, out: str | Path) -> dict[str, Path]:
    """Write <name>.md/.json/.csv/.png into `out` (atomically); a name already taken gets a -2, -3... suffix."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    name, i = report.name, 1
    while any((out / f"{name}{ext}").exists() for ext in (".md", ".json", ".csv", ".png")):
        i += 1
        name = f"{report.name}-{i}"
    report.name = name
    files = {"json": out / f"{name}.json", "md": out / f"{name}.md", "csv": out / f"{name}.csv",
             "png": out / f"{name}.png"}
    report.files = files
    write_text(files["json"], json.dumps({**report.to_dict(), "files": {k: str(v) for k, v in files.items()}},
                                         indent=2, default=str))
    write_text(files["md"], markdown(report))
    write_text(files["csv"], csv_text(report))
    write_bytes(files["png"], chart_png(report))
    return files


def print_summary(report: BenchReport, check: bool = False, strict: bool = False) -> None:
    """The table with rich, then the notes, the gate (with --check) and where the reports went."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(200, Console().width))  # 18+ columns: never squeeze them into 80
    head, cells = table(report)
    t = Table(title=f"{report.settings['model_name']} at {report.settings['imgsz']}px, {report.settings['device']}",
              show_lines=False, header_style="bold")
    for h in head:
        t.add_column(h, justify="left" if h in ("Format", "Status", "Precision", "Parity") else "right")
    style = {"ok": None, "failed": "red", "unavailable": "dim", "missing": "yellow"}
    for r, c in zip(report.rows, cells, strict=True):
        t.add_row(*c, style=style.get(r.status) or ("red" if r.parity_passed is False else None))
    console.print(t)
    for n in notes(report):
        console.print("  " + n.replace("**", ""), highlight=False, markup=False)
    if check:
        console.print(report.gate.summary(), style="green" if report.gate.passed else "bold red", highlight=False)
    if report.files:
        console.print(f"reports: {', '.join(str(p) for p in report.files.values())}", highlight=False)
    console.print(f"done in {report.wall_s:.1f} s (export, val, parity and timing; reports written after)",
                  highlight=False)


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a JSON report back (for tooling and tests)."""
    return json.loads(Path(path).read_text())
