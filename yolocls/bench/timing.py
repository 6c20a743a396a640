"""Latency and throughput measurement: an untimed pre-pass, warm-up, then one clock reading per call.

The harness adds nothing to what it times: the timed loop calls the function and reads
`time.perf_counter_ns` around it, nothing else (statistics are computed afterwards).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DEFAULT_RUNS = 100
MIN_RUNS = 10
BUDGET_S = 1.0  # adaptive runs: aim for about this much timed work per measurement


@dataclass
class Timing:
    """Per-call wall times in milliseconds."""

    median_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    runs: int
    p25_ms: float | None = None  # the interquartile range: how noisy the run was (baseline comparisons use it)
    p75_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(ns: list[int] | np.ndarray) -> Timing:
    """Nanosecond durations -> median, quartiles, p90, p99 (linear interpolation), mean and min in ms."""
    ms = np.asarray(ns, dtype=np.float64) / 1e6
    if ms.size == 0:
        raise ValueError("no timings to summarize")
    p25, p50, p75, p90, p99 = np.percentile(ms, [25, 50, 75, 90, 99])
    return Timing(median_ms=float(p50), p90_ms=float(p90), p99_ms=float(p99), mean_ms=float(ms.mean()),
                  min_ms=float(ms.min()), runs=int(ms.size), p25_ms=float(p25), p75_ms=float(p75))


def prepass(fn: Callable[[], Any], seconds: float = 0.25, max_calls: int = 50, min_calls: int = 3) -> float:
    """Untimed calls that absorb first-call effects (lazy init, allocator and thread-pool spin-up: a 10-call
    warm-up alone left eager PyTorch 7-25x slow on small models, BACKENDS.md trap 16). Returns the
    median seconds per call seen, a rough estimate for choosing the number of timed runs."""
    seen = []
    t_end = time.perf_counter() + seconds
    while len(seen) < max_calls and (len(seen) < min_calls or time.perf_counter() < t_end):
        t0 = time.perf_counter()
        fn()
        seen.append(time.perf_counter() - t0)
    return float(np.median(seen))


def choose_runs(per_call_s: float, requested: int | None, budget_s: float = BUDGET_S) -> int:
    """`requested` when given; otherwise DEFAULT_RUNS, reduced for slow calls to fit `budget_s` (>= MIN_RUNS)."""
    if requested:
        return int(requested)
    if per_call_s <= 0:
        return DEFAULT_RUNS
    return int(min(DEFAULT_RUNS, max(MIN_RUNS, math.floor(budget_s / per_call_s))))


def time_calls(fn: Callable[[], Any], runs: int, warmup: int = 0) -> Timing:
    """`warmup` untimed calls, then `runs` calls timed one by one."""
    for _ in range(warmup):
        fn()
    clock = time.perf_counter_ns
    ns = [0] * runs
    for i in range(runs):
        t0 = clock()
        fn()
        ns[i] = clock() - t0
    return summarize(ns)


def latency(fn: Callable[[], Any], runs: int | None, warmup: int) -> Timing:
    """Pre-pass, `warmup` calls, then the timed runs (adaptive when `runs` is None)."""
    est = prepass(fn)
    return time_calls(fn, choose_runs(est, runs), warmup)


def throughput(fn: Callable[[], Any], images_per_call: int, runs: int | None, warmup: int = 2) -> float:
    """Images per second of `fn` (one call processes `images_per_call` images), from the median call.

    Big batches are slow calls, so the number of calls always fits the time budget (at most `runs`, at least 3).
    """
    est = prepass(fn, seconds=0.1, max_calls=5, min_calls=1)
    n = max(3, min(runs or DEFAULT_RUNS, choose_runs(est, None)))
    t = time_calls(fn, n, warmup)
    return images_per_call / (t.median_ms / 1e3)
