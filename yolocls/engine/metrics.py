"""Classification metrics from probabilities (NumPy only): top-1/top-5, loss, confusion matrix, per-class accuracy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class ClassifyMetrics:
    """What `YOLO.val()` and every training epoch return.

    `confusion_matrix[t, p]` counts images of true class t predicted as p. `loss` is the mean negative log
    probability of the true class (computed from probabilities, so every format reports the same quantity).
    `speed` is milliseconds per image for preprocess / inference / postprocess.
    """

    names: dict[int, str]
    top1: float = 0.0
    top5: float = 0.0
    loss: float = 0.0
    confusion_matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    speed: dict[str, float] = field(default_factory=dict)
    n: int = 0
    save_dir: Path | None = None  # where val() wrote its plots, if it did

    @property
    def per_class_accuracy(self) -> dict[str, float]:
        cm = self.confusion_matrix
        totals = cm.sum(1)
        return {self.names[i]: float(cm[i, i] / totals[i]) if totals[i] else float("nan") for i in range(len(cm))}

    @property
    def fitness(self) -> float:
        return (self.top1 + self.top5) / 2

    @property
    def results_dict(self) -> dict[str, float]:
        return {"metrics/accuracy_top1": self.top1, "metrics/accuracy_top5": self.top5, "val/loss": self.loss,
                "fitness": self.fitness}

    @property
    def keys(self) -> list[str]:
        return list(self.results_dict)

    def summary(self) -> str:
        s = self.speed
        return (f"top1 {self.top1:.4f}  top5 {self.top5:.4f}  loss {self.loss:.4f}  ({self.n} images)  speed "
                f"{s.get('preprocess', 0):.2f}ms preprocess, {s.get('inference', 0):.2f}ms inference, "
                f"{s.get('postprocess', 0):.2f}ms postprocess per image")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for checkpoints, JSON)."""
        return {**self.results_dict, "n": self.n, "speed": dict(self.speed),
                "per_class_accuracy": self.per_class_accuracy}

    def __repr__(self) -> str:
        return f"ClassifyMetrics(top1={self.top1:.4f}, top5={self.top5:.4f}, loss={self.loss:.4f}, n={self.n})"


def label_ranks(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each image's true-label rank among its class probabilities (0: the top-1 class). Ties go to the lower
    class index, the order of a stable descending sort, computed without sorting; a NaN probability ranks last."""
    probs = np.asarray(probs)
    labels = np.asarray(labels, dtype=np.int64)
    p = probs[np.arange(len(labels)), labels][:, None]
    before = np.arange(probs.shape[1])[None, :] < labels[:, None]
    rank = (probs > p).sum(1) + ((probs == p) & before).sum(1)
    return np.where(np.isnan(p[:, 0]), probs.shape[1], rank)


def topk_accuracy(probs: np.ndarray, labels: np.ndarray, k: int = 5) -> tuple[float, float]:
    """(top-1, top-k) accuracy as fractions, with k = min(k, classes)."""
    ranks = label_ranks(probs, labels)
    return float((ranks == 0).mean()), float((ranks < min(k, np.shape(probs)[1])).mean())


class MetricsAccumulator:
    """Feed (probabilities, labels) batch by batch; `result()` gives ClassifyMetrics."""

    def __init__(self, names: dict[int, str]):
        self.names = dict(names)
        nc = len(self.names)
        self.cm = np.zeros((nc, nc), np.int64)
        self.correct1 = self.correct5 = 0
        self.nll = 0.0
        self.n = 0

    def update(self, probs: np.ndarray, labels: np.ndarray) -> None:
        probs = np.asarray(probs, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.int64)
        nc = probs.shape[1]
        if nc != len(self.names):
            raise ValueError(f"the model outputs {nc} classes but the dataset has {len(self.names)}")
        ranks = label_ranks(probs, labels)
        pred = probs.argmax(1)
        self.correct1 += int((ranks == 0).sum())
        self.correct5 += int((ranks < min(5, nc)).sum())
        self.nll += float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).sum())
        np.add.at(self.cm, (labels, pred), 1)
        self.n += len(labels)

    def result(self, speed: dict[str, float] | None = None) -> ClassifyMetrics:
        n = max(self.n, 1)
        return ClassifyMetrics(names=self.names, top1=self.correct1 / n, top5=self.correct5 / n, loss=self.nll / n,
                               confusion_matrix=self.cm.copy(), speed=dict(speed or {}), n=self.n)
