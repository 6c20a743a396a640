"""Latency statistics and the run-count rule."""

from __future__ import annotations

import time

import numpy as np
import pytest

from yolocls.bench import timing


def test_summary_matches_numpy_percentiles():
    rng = np.random.default_rng(0)
    ns = rng.integers(1_000_000, 9_000_000, size=137)
    t = timing.summarize(ns)
    ms = ns / 1e6
    assert t.runs == 137
    assert t.median_ms == pytest.approx(np.median(ms))
    assert t.p90_ms == pytest.approx(np.percentile(ms, 90))
    assert t.p99_ms == pytest.approx(np.percentile(ms, 99))
    assert t.min_ms == pytest.approx(ms.min()) and t.mean_ms == pytest.approx(ms.mean())
    assert t.min_ms <= t.median_ms <= t.p90_ms <= t.p99_ms


def test_timed_calls_measure_what_the_call_takes():
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.002)

    t = timing.time_calls(fn, runs=15, warmup=4)
    assert len(calls) == 19 and t.runs == 15
    assert t.min_ms >= 2.0  # sleep never returns early


def test_explicit_runs_are_honoured_and_adaptive_runs_fit_the_budget():
    assert timing.choose_runs(10.0, 37) == 37  # explicit, even for a 10 s call
    assert timing.choose_runs(0.0001, None) == timing.DEFAULT_RUNS
    assert timing.choose_runs(0.05, None) == 20  # 1 s budget / 50 ms
    assert timing.choose_runs(5.0, None) == timing.MIN_RUNS


def test_throughput_counts_images_per_second():
    ips = timing.throughput(lambda: time.sleep(0.005), images_per_call=8, runs=5)
    assert 0 < ips <= 8 / 0.005
