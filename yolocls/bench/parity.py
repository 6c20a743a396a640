"""Parity of an artifact's probabilities against the PyTorch reference, with per-precision tolerances."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..engine.keep_float import INT8_TOP1_GATE
from ..errors import ParityError


@dataclass(frozen=True)
class Tolerance:
    """max_abs: max |p - p_ref| allowed (None: not checked); min_agreement: top-1 agreement share;
    max_top1_drop: allowed drop of top-1 accuracy in points (needs labels; None: not checked)."""

    max_abs: float | None
    min_agreement: float | None
    max_top1_drop: float | None = None


# The project's parity figures (format-registry issue): the gate and the tests use these.
TOLERANCES: dict[str, Tolerance] = {
    "fp32": Tolerance(max_abs=1e-4, min_agreement=1.0),
    "fp16": Tolerance(max_abs=5e-3, min_agreement=0.995),
    "bf16": Tolerance(max_abs=5e-3, min_agreement=0.995),
    "int8": Tolerance(max_abs=None, min_agreement=None, max_top1_drop=INT8_TOP1_GATE),
}


@dataclass
class Parity:
    format: str
    precision: str
    images: int
    agreement: float  # share of images whose top-1 equals the reference's
    max_abs: float
    mean_abs: float
    worst: int  # index of the image with the largest |p - p_ref|
    top1: float | None = None
    top1_ref: float | None = None
    passed: bool = True
    failures: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(probs: np.ndarray, ref: np.ndarray, labels: np.ndarray | list[int] | None = None, *,
            precision: str = "fp32", fmt: str = "", tolerance: Tolerance | None = None) -> Parity:
    """Compare (N, nc) probabilities with the reference; `tolerance` defaults to TOLERANCES[precision]."""
    probs, ref = np.asarray(probs, np.float64), np.asarray(ref, np.float64)
    if probs.shape != ref.shape:
        raise ParityError(f"{fmt}: output shape {probs.shape} differs from the reference {ref.shape}")
    diff = np.abs(probs - ref)
    per_image = diff.max(1)
    agree = float((probs.argmax(1) == ref.argmax(1)).mean())
    p = Parity(format=fmt, precision=precision, images=len(probs), agreement=agree, max_abs=float(diff.max()),
               mean_abs=float(diff.mean()), worst=int(per_image.argmax()))
    if labels is not None:
        y = np.asarray(labels)
        p.top1, p.top1_ref = float((probs.argmax(1) == y).mean()), float((ref.argmax(1) == y).mean())
    tol = tolerance or TOLERANCES.get(precision, TOLERANCES["fp32"])
    fails = []
    if tol.max_abs is not None and p.max_abs > tol.max_abs:
        fails.append(f"max |dp| {p.max_abs:.3g} > {tol.max_abs:g}")
    if tol.min_agreement is not None and agree < tol.min_agreement:
        fails.append(f"top-1 agreement {agree:.2%} < {tol.min_agreement:.2%}")
    if tol.max_top1_drop is not None and p.top1 is not None:
        drop = 100 * (p.top1_ref - p.top1)
        if drop > tol.max_top1_drop:
            fails.append(f"top-1 drop {drop:.2f} points > {tol.max_top1_drop:g}")
    p.failures, p.passed = tuple(fails), not fails
    return p


def describe_failure(p: Parity, probs: np.ndarray, ref: np.ndarray, names: list[str] | None = None) -> str:
    """A message naming the format, what broke, the worst image and both probability vectors."""
    w = p.worst
    label = f" ({names[w]})" if names else ""
    np.set_printoptions(precision=5, suppress=True, linewidth=200)
    return (f"parity failure for {p.format} [{p.precision}]: {'; '.join(p.failures)}. Worst image #{w}{label}: "
            f"max |dp| {np.abs(probs[w] - ref[w]).max():.3g}\n  artifact:  {np.asarray(probs[w])}\n"
            f"  reference: {np.asarray(ref[w])}")


def assert_parity(probs: np.ndarray, ref: np.ndarray, labels: Any = None, *, precision: str = "fp32",
                  fmt: str = "", names: list[str] | None = None) -> Parity:
    p = compare(probs, ref, labels, precision=precision, fmt=fmt)
    if not p.passed:
        raise ParityError(describe_failure(p, probs, ref, names))
    return p
