"""Top-k lives once (engine/metrics), used by val and the bench: ranks agree with a stable descending sort."""

from __future__ import annotations

import numpy as np

from yolocls.engine.metrics import MetricsAccumulator, label_ranks, topk_accuracy


def _sorted_ranks(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    order = np.argsort(-probs, axis=1, kind="stable")
    return np.argmax(order == labels[:, None], axis=1)


def test_label_ranks_follow_a_stable_sort_even_with_ties():
    rng = np.random.default_rng(0)
    for nc in (2, 5, 10, 1000):
        probs = np.round(rng.random((300, nc)), 1)  # many exact ties, as a quantised model's outputs have
        labels = rng.integers(0, nc, 300)
        assert np.array_equal(label_ranks(probs, labels), _sorted_ranks(probs, labels))
        r = _sorted_ranks(probs, labels)
        assert topk_accuracy(probs, labels) == (float((r == 0).mean()), float((r < min(5, nc)).mean()))


def test_validation_counts_match_the_bench_figures():
    rng = np.random.default_rng(1)
    probs, labels = np.round(rng.dirichlet(np.ones(10), 200), 2), rng.integers(0, 10, 200)
    acc = MetricsAccumulator({i: str(i) for i in range(10)})
    for i in range(0, 200, 64):
        acc.update(probs[i:i + 64], labels[i:i + 64])
    m = acc.result()
    assert (m.top1, m.top5) == topk_accuracy(probs, labels)


def test_a_nan_probability_is_a_miss():
    probs = np.array([[np.nan, 0.2, 0.1], [0.7, 0.2, 0.1]])
    assert label_ranks(probs, np.array([0, 0])).tolist() == [3, 0]
