"""The bench chart: batch-1 latency per format (median bar, whiskers to p90 and p99) beside throughput per batch
size, one row per format that ran, coloured by parity. A scatter of top-1 against latency collapsed to one line
whenever every fp32 format has the same top-1; bars keep every format readable."""

from __future__ import annotations

import io
import math
import threading
from typing import Any

from .rows import STATUS_LABELS, BenchReport, Row

REFERENCE, PASS, FAIL, NEUTRAL = "#1f77b4", "#2ca02c", "#d62728", "#7f7f7f"
BATCH_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def _colour(r: Row) -> str:
    if r.reference:
        return REFERENCE
    return PASS if r.parity_passed else FAIL if r.parity_passed is False else NEUTRAL


def _label(r: Row) -> str:
    prec = r.precision or r.requested
    return f"{r.format} ({prec})" + (" ref" if r.reference else "")


def _latency_panel(ax: Any, rows: list[Row]) -> None:
    ys = list(range(len(rows)))
    med = [r.median_ms or 0.0 for r in rows]
    p90 = [max((r.latency or {}).get("p90_ms") or m, m) for r, m in zip(rows, med, strict=True)]
    p99 = [max((r.latency or {}).get("p99_ms") or q, q) for r, q in zip(rows, p90, strict=True)]
    ax.barh(ys, med, color=[_colour(r) for r in rows], alpha=0.75, edgecolor="black", linewidth=0.6, zorder=2)
    # whiskers: thick from the median to p90, thin on to p99 with a cap
    ax.hlines(ys, med, p90, color="black", linewidth=2.2, zorder=3)
    ax.hlines(ys, p90, p99, color="black", linewidth=0.9, zorder=3)
    ax.plot(p99, ys, marker="|", color="black", markersize=9, linestyle="", zorder=3)
    hi = max(p99, default=1.0)
    log = bool(med) and min(m for m in med if m > 0) * 30 < hi
    if log:
        ax.set_xscale("log")
        ax.set_xlim(min(m for m in med if m > 0) / 2, hi * 4)
    else:
        ax.set_xlim(0, hi * 1.35)
    for y, m, q in zip(ys, med, p99, strict=True):
        ax.annotate(f"{m:.3g} ms", (q, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel("batch-1 latency (ms" + (", log scale" if log else "") + "): bar median, whiskers p90 / p99")
    ax.set_title("latency (lower is better)", fontsize=10)
    ax.grid(True, axis="x", which="both", alpha=0.3, zorder=0)


def _throughput_panel(ax: Any, rows: list[Row], batches: list[int]) -> None:
    n = max(1, len(batches))
    height = 0.8 / n
    for j, b in enumerate(batches):
        ys = [i - 0.4 + height * (j + 0.5) for i in range(len(rows))]
        vals = [r.throughput.get(str(b)) or 0.0 for r in rows]
        ax.barh(ys, vals, height=height * 0.92, color=BATCH_COLOURS[j % len(BATCH_COLOURS)], label=f"batch {b}",
                zorder=2)
        for y, v in zip(ys, vals, strict=True):
            if v:
                ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points", va="center",
                            fontsize=7 if n > 1 else 8)
    top = max((r.throughput.get(str(b)) or 0.0 for r in rows for b in batches), default=1.0) or 1.0
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel("images per second (higher is better)")
    ax.set_title("throughput per batch size", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3, zorder=0)
    if n > 1:
        ax.legend(fontsize=8, loc="lower right")


def import_matplotlib() -> tuple[Any, Any]:
    """pyplot (on the Agg backend) and Patch: ~1 s of import here, which the bench starts in a thread of its
    own while the exports run (the parent only waits then), so the chart does not wait for it at the end."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    return plt, Patch


def start_import() -> None:
    """`import_matplotlib()` in a daemon thread; a failure there is left to `chart_png`, which imports again
    and reports it."""
    def quietly() -> None:
        try:
            import_matplotlib()
        except Exception:
            pass

    threading.Thread(target=quietly, name="bench-chart-import", daemon=True).start()


def chart_png(report: BenchReport) -> bytes:
    """The two-panel chart as PNG bytes."""
    plt, Patch = import_matplotlib()

    s = report.settings
    rows = [r for r in report.rows if r.ran and r.median_ms]
    batches = [int(b) for b in (s.get("batch") or [1])]
    fig, (ax1, ax2) = plt.subplots(1, 2, sharey=True, figsize=(13, max(4.2, 1.9 + 0.48 * len(rows))), dpi=110,
                                   gridspec_kw={"width_ratios": [3, 2]})
    if rows:
        _latency_panel(ax1, rows)
        _throughput_panel(ax2, rows, batches)
        ax1.set_yticks(range(len(rows)), [_label(r) for r in rows], fontsize=9)
        ax1.invert_yaxis()  # the table's order, reference on top
    else:
        ax1.text(0.5, 0.5, "no format ran", ha="center", va="center", transform=ax1.transAxes)
    env = report.environment
    title = (f"{s.get('model_name')} at {s.get('imgsz')}px on {s.get('device')}, threads "
             f"{s.get('threads') or 'runtime default'} — {env.get('cpu', '')}")
    fig.suptitle(title[:130], fontsize=11, y=0.99)
    fig.legend(handles=[Patch(color=c, alpha=0.75, label=t) for c, t in
                        ((REFERENCE, "PyTorch reference"), (PASS, "parity pass"), (FAIL, "parity FAIL"))],
               loc="upper center", bbox_to_anchor=(0.5, 0.955), fontsize=8, ncol=3, frameon=False)  # under the title
    skipped = [f"{r.format} ({STATUS_LABELS.get(r.status, r.status)})" for r in report.rows if not r.ran]
    bottom = 0.0
    if skipped:
        text = "not shown: " + ", ".join(skipped)
        lines = math.ceil(len(text) / 190)
        fig.text(0.01, 0.01, text, fontsize=7.5, color="#555555", wrap=True)
        bottom = min(0.25, 0.035 * lines / max(1.0, fig.get_figheight() / 4.2))
    fig.tight_layout(rect=(0, bottom, 1, 0.92))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
