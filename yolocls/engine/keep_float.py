"""keep_float: int8 exports that leave chosen top-level blocks in float, and the search behind keep_float=auto.

Sensitivity: for each top-level block, an int8 export in which only that block is quantised (every other
block kept in float, through the format exporter's own exclusion mechanism: NNCF ignored scopes, ONNX
Runtime's nodes_to_exclude...) is validated on the val split; its top-1 drop against the fp32 PyTorch model
is the damage that block's quantisation does by itself. keep_float=auto then exports int8 with the most
damaging blocks kept in float, one more at a time, until the drop is within the gate (1 point: the bench's
int8 parity tolerance), and records which blocks and the whole search in the metadata.

Every figure is measured on a real export loaded by its own runtime; nothing is estimated.
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError

INT8_TOP1_GATE = 1.0  # points of val top-1 an int8 export may lose (the bench's int8 tolerance uses it too)


@dataclass
class Trial:
    """One int8 export: the blocks it kept in float, its val top-1 and the drop against the fp32 model (points)."""

    keep_float: list[int]
    top1: float
    drop: float
    seconds: float


@dataclass
class BlockSensitivity:
    """The top-1 drop when only this top-level block is quantised."""

    index: int
    name: str
    type: str
    top1: float
    drop: float


@dataclass
class KeepFloatSearch:
    """What the search measured: the reference, the plain int8 export, each block's sensitivity (ranked, most
    damaging first; empty when the plain export already met the gate), the greedy steps and the choice."""

    format: str
    data: str
    images: int
    gate: float
    reference_top1: float
    plain: Trial
    blocks: list[BlockSensitivity] = field(default_factory=list)
    steps: list[Trial] = field(default_factory=list)
    chosen: Trial | None = None
    seconds: float = 0.0

    @property
    def met(self) -> bool:
        return self.chosen is not None and self.chosen.drop <= self.gate

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Evaluator:
    """Exports int8 variants of one model to one format and measures each on the same val images."""

    def __init__(self, model: Any, fmt: str, opts: dict[str, Any], export: Callable[..., Any]):
        from ..data.split_arrays import split_arrays
        from ..exporters import get_exporter
        from ..exporters._context import ExportOptions

        spec = get_exporter(fmt)[0]
        if "keep_float" not in spec.options:
            honoured = ", ".join(n for n in _formats_with_keep_float()) or "none"
            raise ConfigError(f"format '{spec.name}' cannot keep blocks in float, so its int8 blocks cannot be "
                              f"ranked or kept (keep_float is honoured by: {honoured})")
        self.model, self.fmt, self.export = model, spec.name, export
        self.opts = {k: v for k, v in opts.items() if k not in ("int8", "keep_float", "max_top1_drop", "half")}
        probe = ExportOptions.from_kwargs(**self.opts)
        self.imgsz = int(probe.imgsz or getattr(model, "imgsz", 224))
        self.opts["imgsz"] = self.imgsz
        self.data = str(probe.data or "digits")
        self.x, self.labels, names = split_arrays(self.data, self.imgsz, "val")
        if len(names) != len(model.names):
            raise ConfigError(f"data='{self.data}' has {len(names)} classes but the model has {len(model.names)}: "
                              "the top-1 drop needs the model's own dataset (pass data=)")
        self.reference_top1 = self._top1(self._torch_probs())
        self.blocks = [b for b in _top_level_blocks(model, self.imgsz)]

    def _torch_probs(self) -> np.ndarray:
        from ..runtimes.pt import PyTorchRuntime

        return PyTorchRuntime(model=self.model).predict(self.x)

    def _top1(self, probs: np.ndarray) -> float:
        from .metrics import topk_accuracy

        return topk_accuracy(probs, self.labels)[0]

    def trial(self, keep: list[int]) -> Trial:
        """Export int8 with `keep` in float (into a scratch folder), load it, validate it."""
        from ..runtimes import load_runtime

        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="yolocls-keep-float-") as work, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the outer export already said what matters (calibration data...)
            res = self.export(self.model, self.fmt, source=Path(work) / "model.pt", verify=False, int8=True,
                               keep_float=sorted(keep) or None, **self.opts)
            rt = load_runtime(res.path)
            try:
                top1 = self._top1(rt.predict(self.x))
            finally:
                rt.close()
        drop = round(100 * (self.reference_top1 - top1), 4)
        return Trial(keep_float=sorted(keep), top1=top1, drop=drop, seconds=round(time.perf_counter() - t0, 2))

    def sensitivity(self, progress: Any = None) -> list[BlockSensitivity]:
        """Each top-level block quantised alone (the others in float), most damaging first."""
        every = [b.index for b in self.blocks]
        out = []
        for b in self.blocks:
            t = self.trial([i for i in every if i != b.index])
            out.append(BlockSensitivity(index=b.index, name=b.name, type=b.type, top1=t.top1, drop=t.drop))
            if progress:
                progress(b, t)
        return sorted(out, key=lambda s: (-s.drop, s.index))


def _top_level_blocks(model: Any, imgsz: int) -> list[Any]:
    from ..models.probes import block_points

    return block_points(model, depth=1, imgsz=imgsz)


def _formats_with_keep_float() -> list[str]:
    from ..exporters import exporter_names, get_exporter

    return [n for n in exporter_names() if "keep_float" in get_exporter(n)[0].options]


def search(model: Any, fmt: str, opts: dict[str, Any], export: Callable[..., Any], *, rank: bool = False,
           verbose: bool = True, gate: float | None = None) -> KeepFloatSearch:
    """keep_float=auto for `model` exported to `fmt` with export options `opts` (data, fraction, imgsz...);
    `export` is engine.exporter.export_model (passed in: it calls this search for keep_float=auto).

    Measures the plain int8 export; when its top-1 drop exceeds `gate` (default `opts['max_top1_drop']`, else
    INT8_TOP1_GATE) or `rank` is set, ranks the blocks, then keeps the most damaging ones in float one by
    one until the drop is within the gate. `chosen` is the first trial within the gate, else the best one.
    """
    t0 = time.perf_counter()
    gate = float(gate if gate is not None else opts.get("max_top1_drop") or INT8_TOP1_GATE)
    ev = Evaluator(model, fmt, opts, export)
    say = functools.partial(print, file=sys.stderr) if verbose else (lambda *a, **k: None)
    plain = ev.trial([])
    say(f"keep_float: reference top-1 {ev.reference_top1:.2%}; plain int8 {plain.top1:.2%} (drop {plain.drop:.2f} "
        f"points, gate {gate:g})")
    res = KeepFloatSearch(format=ev.fmt, data=ev.data, images=len(ev.x), gate=gate, reference_top1=ev.reference_top1,
                          plain=plain, chosen=plain)
    if plain.drop <= gate and not rank:
        res.seconds = round(time.perf_counter() - t0, 2)
        return res
    res.blocks = ev.sensitivity(lambda b, t: say(f"  block {b.index} {b.name} ({b.type}) quantised alone: "
                                                 f"drop {t.drop:.2f} points"))
    best, keep = plain, []
    for b in res.blocks:
        if best.drop <= gate:
            break
        keep.append(b.index)
        step = ev.trial(keep)
        res.steps.append(step)
        say(f"  keep_float={','.join(map(str, sorted(keep)))}: drop {step.drop:.2f} points")
        if step.drop <= gate or step.drop < best.drop:
            best = step
        if step.drop <= gate:
            break
    res.chosen = best
    res.seconds = round(time.perf_counter() - t0, 2)
    if not res.met:
        warnings.warn(f"keep_float=auto: no tried set of float blocks brought the int8 top-1 drop within {gate:g} "
                      f"points; using keep_float={best.keep_float} (drop {best.drop:.2f})", stacklevel=2)
    return res
