"""Block-by-block error between a reference and an artifact (NumPy only: the bench's run children use it too).

A block's error is measured on its output tensor over all compared images: max |d|, the relative error
||a - r|| / ||r|| (L2 over the whole tensor, so a block of large activations is not judged by an absolute
number meant for probabilities) and the lowest per-image cosine similarity. A block breaks the tolerance
when its relative error exceeds it; the first such block in network order is where the artifact diverges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

# Relative error allowed per block, by the precision the artifact ran in. fp32 converters reorder sums
# (~1e-7 here); fp16 keeps ~3 significant digits; bf16 ~2; int8 moves every activation by up to a step.
TOLERANCES: dict[str, float] = {"fp32": 1e-4, "fp16": 1e-2, "bf16": 3e-2, "int8": 0.15}


@dataclass
class BlockError:
    """One point's comparison. `exposed`: the artifact gave this block's tensor (else the figures are None and
    `note` says why); `passed`: within the tolerance."""

    index: int
    name: str
    type: str
    depth: int
    shape: list[int]
    exposed: bool
    max_abs: float | None = None
    rel: float | None = None
    cosine: float | None = None
    passed: bool | None = None
    output: bool = False  # the network's output block (compared through predict: probabilities)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tensor_error(ref: np.ndarray, got: np.ndarray) -> tuple[float, float, float]:
    """(max |d|, relative L2 error, lowest per-image cosine similarity) of `got` against `ref`."""
    r, g = np.asarray(ref, np.float64), np.asarray(got, np.float64)
    if r.shape != g.shape:
        raise ValueError(f"shape {g.shape} differs from the reference's {r.shape}")
    d = g - r
    norm = float(np.linalg.norm(r))
    rel = float(np.linalg.norm(d)) / norm if norm > 0 else (0.0 if not d.any() else float("inf"))
    rf, gf = r.reshape(len(r), -1), g.reshape(len(g), -1)
    dots = (rf * gf).sum(1)
    norms = np.linalg.norm(rf, axis=1) * np.linalg.norm(gf, axis=1)
    cos = np.where(norms > 0, dots / np.where(norms > 0, norms, 1), np.where((rf == gf).all(1), 1.0, 0.0))
    return float(np.abs(d).max()) if d.size else 0.0, rel, float(cos.min()) if cos.size else 1.0


def compare_blocks(entries: list[dict[str, Any]], ref: dict[str, np.ndarray], got: dict[str, np.ndarray],
                   tol: float, reasons: dict[str, str] | None = None) -> list[BlockError]:
    """One BlockError per reference entry (network order): `ref`/`got` map point names to outputs; a point
    missing from `got` is reported as not exposed, with `reasons[name]` (or a default) as its note."""
    out = []
    for e in entries:
        row = BlockError(index=int(e["index"]), name=e["name"], type=e.get("type", ""), depth=int(e.get("depth", 1)),
                         shape=list(np.shape(ref[e["name"]]) if e["name"] in ref else e.get("shape") or []),
                         exposed=e["name"] in got, output=bool(e.get("output")))  # shape: as compared
        if row.exposed:
            row.max_abs, row.rel, row.cosine = tensor_error(ref[e["name"]], got[e["name"]])
            row.passed = row.rel <= tol
        else:
            row.note = (reasons or {}).get(e["name"], "not in the artifact's block map")
        out.append(row)
    return out


def first_divergent(rows: list[BlockError]) -> BlockError | None:
    """The first block, in network order, whose error breaks the tolerance (None when none does)."""
    return next((r for r in rows if r.passed is False), None)


def divergence_note(rows: list[BlockError]) -> str:
    """One line for a parity failure: where the artifact first leaves the reference."""
    first = first_divergent(rows)
    if first is None:
        exposed = [r for r in rows if r.exposed and not r.output]
        return "every block within tolerance up to the output" if exposed else ""
    return (f"first diverging block: {first.index} {first.name} ({first.type}), rel. error {first.rel:.3g}, "
            f"max |d| {first.max_abs:.3g}")
