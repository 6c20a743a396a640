"""A bench row (one format's figures), the parity gate over rows, and the report they make up."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Row statuses, shown with distinct words: "cannot run here" is not "broken".
STATUS_LABELS = {"ok": "ok", "failed": "FAILED", "unavailable": "not available here", "missing": "missing dependency"}


@dataclass
class Row:
    """One format's results. Figures are None when the step that produces them did not run."""

    format: str
    title: str
    status: str = "ok"  # ok | failed | unavailable | missing
    reason: str = ""  # one line, for any status but ok (or a note for ok rows)
    reference: bool = False  # the .pt row every other row is compared with
    artifact: str | None = None
    export_s: float | None = None
    size_mb: float | None = None
    requested: str = "fp32"  # precision asked of the exporter
    precision: str | None = None  # precision that actually ran (a runtime may pick bf16 by itself)
    not_honoured: list[str] = field(default_factory=list)  # requested options this format does not take
    top1: float | None = None
    top5: float | None = None
    agreement: float | None = None  # share of val images whose top-1 equals the reference's
    max_abs: float | None = None  # max |p - p_ref| over all images and classes
    mean_abs: float | None = None
    parity_passed: bool | None = None
    parity_failures: list[str] = field(default_factory=list)
    tolerance: dict[str, Any] | None = None
    latency: dict[str, Any] | None = None  # batch 1: median_ms p25_ms p75_ms p90_ms p99_ms mean_ms min_ms runs
    throughput: dict[str, float] = field(default_factory=dict)  # batch -> images/s
    e2e_ms: float | None = None  # per image from the file: decode + preprocess + inference + postprocess
    peak_rss_mb: float | None = None  # of the child that loaded and ran the artifact
    runtime_version: str | None = None
    dynamic: bool | None = None
    load_s: float | None = None  # loading the artifact (its backend already imported when import_s is set)
    import_s: float | None = None  # the backend's import, once per run in the row's zygote (bench/zygote.py)
    phases: dict[str, float] = field(default_factory=dict)  # run child: seconds per step
    seconds: float | None = None  # wall time of this row (export + run children)

    @property
    def ran(self) -> bool:
        return self.status == "ok"

    @property
    def median_ms(self) -> float | None:
        return (self.latency or {}).get("median_ms")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Gate:
    """The parity gate: every non-reference row that ran must meet its precision's tolerance."""

    passed: bool
    failures: list[str]
    checked: list[str]

    def summary(self) -> str:
        if self.passed:
            n = len(self.checked)
            return f"parity gate passed ({n} format{'' if n == 1 else 's'} checked: {', '.join(self.checked) or 'none'})"
        return "parity gate FAILED:\n" + "\n".join(f"  - {f}" for f in self.failures)


def evaluate_gate(rows: list[Row]) -> Gate:
    """Formats that did not run (not available here, missing dependency) do not fail the gate."""
    checked, failures = [], []
    for r in rows:
        if r.reference or not r.ran:
            continue
        checked.append(r.format)
        if r.parity_passed is False:
            failures.append(f"{r.format} [{r.precision}]: {'; '.join(r.parity_failures)}")
    return Gate(passed=not failures, failures=failures, checked=checked)


def recommend(rows: list[Row]) -> dict[str, Any] | None:
    """The fastest row (batch-1 median) among those that ran, were timed and give the reference's answers (parity
    passed; the PyTorch reference itself counts), with its speed relative to the reference; None if none."""
    fit = [r for r in rows if r.ran and r.median_ms is not None and (r.reference or r.parity_passed)]
    if not fit:
        return None
    best = min(fit, key=lambda r: r.median_ms)
    ref = next((r for r in rows if r.reference and r.ran and r.median_ms), None)
    return {"format": best.format, "title": best.title, "reference": best.reference,
            "precision": best.precision or best.requested,
            "median_ms": best.median_ms, "artifact": best.artifact,
            "speedup_vs_reference": round(ref.median_ms / best.median_ms, 2) if ref else None,
            "candidates": len(fit)}


@dataclass
class BenchReport:
    """Everything one run produced: rows, settings, environment, gate, report files, exit code."""

    rows: list[Row]
    settings: dict[str, Any]
    environment: dict[str, Any]
    gate: Gate
    name: str
    created: str
    wall_s: float = 0.0
    timeline: dict[str, float] = field(default_factory=dict)  # seconds per stage (exports, runs...)
    files: dict[str, Path] = field(default_factory=dict)
    exit_code: int = 0
    baseline: Any = None  # the bench.baseline.Comparison with --baseline, if asked

    @property
    def recommended(self) -> dict[str, Any] | None:
        """The fastest format that passes parity on this machine (see `recommend`)."""
        return recommend(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "created": self.created, "wall_s": self.wall_s, "timeline": self.timeline,
                "settings": self.settings,
                "environment": self.environment, "gate": asdict(self.gate), "recommended": self.recommended,
                "rows": [r.to_dict() for r in self.rows],
                "baseline": self.baseline.to_dict() if self.baseline is not None else None}

    def to_df(self) -> Any:
        """The rows as a pandas DataFrame (one row per format; latency and throughput flattened)."""
        import pandas as pd

        flat = []
        for r in self.rows:
            d = r.to_dict()
            d.update({f"latency_{k}": v for k, v in (d.pop("latency") or {}).items()})
            d.update({f"throughput_b{k}": v for k, v in (d.pop("throughput") or {}).items()})
            flat.append(d)
        return pd.DataFrame(flat)
