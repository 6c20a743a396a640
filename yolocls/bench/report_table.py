"""The rows of a bench report as table cells, and the warning and notes under it: shared by the Markdown, HTML and
console reports (report.py, html_report.py)."""

from __future__ import annotations

from .rows import STATUS_LABELS, BenchReport, Row


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
    cores = env.get("usable_cores") or env.get("cores") or 1
    # Other processes' CPU use measured as the run started (the load average lags by a minute and, read later,
    # includes the bench's own work); reports without the measurement fall back to the load average then.
    foreign = env.get("foreign_load_start")
    if foreign is not None:
        if foreign < 0.75 * cores:
            return None
        seen = f"other processes used {foreign:.1f} of its {cores} cores"
    else:
        load = (env.get("load_average") or {}).get("start")
        if load is None or load <= 0.75 * cores:
            return None
        seen = f"load average {load:.1f} on {cores} cores"
    return (f"the machine was busy when this run started ({seen}): latencies and throughput are inflated; "
            "rerun on an idle machine for figures to compare")


def recommendation(report: BenchReport) -> str | None:
    """One line naming the fastest format that passes parity here (None when no row qualifies)."""
    rec = report.recommended
    if rec is None:
        return None
    vs = rec.get("speedup_vs_reference")
    rel = "" if rec["reference"] or not vs else f", {vs:.2f}x the PyTorch reference's speed"
    return (f"{rec['format']} ({rec['precision']}): the fastest format that passes parity on this machine, "
            f"{rec['median_ms']:.3f} ms median at batch 1{rel} ({rec['candidates']} formats qualified)")


def notes(report: BenchReport) -> list[str]:
    """One line per row with something to say (why it did not run, what it did not honour, parity breaches)."""
    busy = busy_warning(report)
    out = [f"**Warning**: {busy}"] if busy else []
    if report.settings.get("threads_note"):
        out.append(f"**Threads**: {report.settings['threads_note']}")
    if report.settings.get("schedule"):
        out.append(f"**Schedule**: {report.settings['schedule']}")
    if report.settings.get("artifacts"):
        out.append(f"**Artifacts**: kept in {report.settings['artifacts']}")
    elif "artifacts" in report.settings:
        out.append("**Artifacts**: exported into a temp folder and deleted after the run (--keep keeps them)")
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
