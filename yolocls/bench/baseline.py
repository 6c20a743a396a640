"""Comparing a bench report with an earlier one (`yolocls-bench --baseline old.json`), row by row.

Rows pair up by format and requested precision. A row regresses when it ran in the baseline and fails now, when
its parity passed in the baseline and fails now, or when its batch-1 latency got slower than `max_slowdown`
times the baseline's. Latency is judged noise-aware, on the medians of both runs' repeated calls: a ratio
above `max_slowdown` counts only when the two runs' interquartile ranges do not overlap either (this run's
25th percentile above the baseline's 75th), so a noisy run whose spread covers the baseline is "within
noise", not a regression. Latency is not judged at all when the runs are not comparable (another model,
image size, device, thread count or CPU).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

DEFAULT_MAX_SLOWDOWN = 1.25
SAME = ("model_name", "imgsz", "device", "threads")  # settings that must match for latencies to compare


def load_baseline(path: str | Path) -> dict[str, Any]:
    """An earlier bench JSON report, checked to be one (raises ConfigError naming the file otherwise)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"baseline report '{p}' does not exist; give the .json a previous yolocls-bench wrote") \
            from None
    except (OSError, ValueError) as e:
        raise ConfigError(f"baseline report '{p}' is not readable JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list) or "settings" not in data:
        raise ConfigError(f"'{p}' is not a yolocls-bench JSON report (no 'rows' and 'settings')")
    data["_path"] = str(p)
    return data


@dataclass
class RowComparison:
    format: str
    precision: str
    status: tuple[str | None, str | None]  # baseline, now
    parity: tuple[bool | None, bool | None]
    max_abs: tuple[float | None, float | None]
    median_ms: tuple[float | None, float | None]
    ratio: float | None = None  # now / baseline median
    verdict: str = "ok"  # ok | faster | within noise | REGRESSION [(slower)] | new | gone | not compared
    problems: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    baseline: str  # the baseline report's path
    max_slowdown: float
    comparable: bool
    notes: list[str]
    rows: list[RowComparison]

    @property
    def failures(self) -> list[str]:
        out = [f"{r.format} [{r.precision}]: {p}" for r in self.rows for p in r.problems]
        if not self.comparable:
            out.append("the baseline's latencies cannot be compared with this run: " + "; ".join(self.notes))
        return out

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "failures": self.failures}


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["format"], row.get("requested") or "fp32"


def _lat(row: dict[str, Any] | None, key: str) -> float | None:
    return ((row or {}).get("latency") or {}).get(key)


def _compare_row(old: dict[str, Any] | None, new: dict[str, Any] | None, max_slowdown: float,
                 judge_latency: bool) -> RowComparison:
    base = new or old or {}
    fmt, prec = _key(base)
    rc = RowComparison(format=fmt, precision=(new or {}).get("precision") or (old or {}).get("precision") or prec,
                       status=((old or {}).get("status"), (new or {}).get("status")),
                       parity=((old or {}).get("parity_passed"), (new or {}).get("parity_passed")),
                       max_abs=((old or {}).get("max_abs"), (new or {}).get("max_abs")),
                       median_ms=(_lat(old, "median_ms"), _lat(new, "median_ms")))
    if old is None:
        rc.verdict = "new"
        return rc
    if new is None:
        rc.verdict = "gone"
        return rc
    if old.get("status") == "ok" and new.get("status") == "failed":
        rc.problems.append(f"ran in the baseline, FAILED now: {new.get('reason') or 'no reason recorded'}")
    if old.get("parity_passed") is True and new.get("parity_passed") is False:
        rc.problems.append("parity passed in the baseline, fails now: " + "; ".join(new.get("parity_failures") or []))
    a, b = rc.median_ms
    if a and b:
        rc.ratio = b / a
        if not judge_latency:
            rc.verdict = "not compared"
        elif rc.ratio > max_slowdown:
            q1_now, q3_then = _lat(new, "p25_ms"), _lat(old, "p75_ms")
            if q1_now is not None and q3_then is not None and q1_now <= q3_then:
                rc.verdict = "within noise"
            else:
                rc.verdict = "slower"
                rc.problems.append(f"batch-1 median {b:.3f} ms vs {a:.3f} ms in the baseline: {rc.ratio:.2f}x slower "
                                   f"(allowed {max_slowdown:g}x)")
        elif rc.ratio < 1 / max_slowdown:
            rc.verdict = "faster"
    if rc.problems:
        rc.verdict = "REGRESSION" + (" (slower)" if rc.verdict == "slower" else "")
    return rc


def compare(old: dict[str, Any], new: dict[str, Any], max_slowdown: float = DEFAULT_MAX_SLOWDOWN) -> Comparison:
    """Compare the report dict `new` with the baseline report dict `old`."""
    if max_slowdown < 1:
        raise ConfigError(f"max_slowdown={max_slowdown} must be >= 1 (1.25: allow 25% slower)")
    so, sn = old.get("settings", {}), new.get("settings", {})
    notes = [f"{k} {so.get(k)!r} in the baseline, {sn.get(k)!r} now" for k in SAME if so.get(k) != sn.get(k)]
    cpu_old, cpu_new = (old.get("environment") or {}).get("cpu"), (new.get("environment") or {}).get("cpu")
    if cpu_old and cpu_new and cpu_old != cpu_new:
        notes.append(f"CPU '{cpu_old}' in the baseline, '{cpu_new}' now")
    comparable = not notes
    old_rows = {_key(r): r for r in old["rows"]}
    new_rows = {_key(r): r for r in new["rows"]}
    keys = list(new_rows) + [k for k in old_rows if k not in new_rows]
    rows = [_compare_row(old_rows.get(k), new_rows.get(k), max_slowdown, comparable) for k in keys]
    return Comparison(baseline=str(old.get("_path", "")), max_slowdown=max_slowdown, comparable=comparable,
                      notes=notes, rows=rows)


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _pair(a: Any, b: Any, fmt: Any = str) -> str:
    show = ["—" if v is None else fmt(v) for v in (a, b)]
    return show[1] if show[0] == show[1] else f"{show[0]} → {show[1]}"


def table(c: Comparison) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the side-by-side table (Markdown and console)."""
    head = ["Format", "Precision", "Status", "Parity", "max Δp", "Baseline ms", "Now ms", "Ratio", "Verdict"]

    def parity(v: bool | None) -> str:
        return "pass" if v else "FAIL" if v is False else "—"

    cells = []
    for r in c.rows:
        cells.append([r.format, r.precision, _pair(*r.status), _pair(parity(r.parity[0]), parity(r.parity[1])),
                      _pair(*r.max_abs, fmt=lambda v: f"{v:.2e}"), _ms(r.median_ms[0]), _ms(r.median_ms[1]),
                      "—" if r.ratio is None else f"{r.ratio:.2f}x", r.verdict])
    return head, cells


def markdown(c: Comparison) -> str:
    head, cells = table(c)
    lines = ["## Compared with the baseline", "", f"Baseline: `{c.baseline}` · latency regression above "
             f"{c.max_slowdown:g}x the baseline's batch-1 median (and outside both runs' interquartile ranges)", ""]
    if c.notes:
        lines += [f"- not comparable: {n}" for n in c.notes] + [""]
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    lines += ["", ("baseline comparison passed" if c.passed else
                   "baseline comparison FAILED:\n" + "\n".join(f"- {f}" for f in c.failures)), ""]
    return "\n".join(lines)
