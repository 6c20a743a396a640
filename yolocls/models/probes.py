"""Probe points: the block outputs of a network, named once, so an artifact's tensors can be matched to them.

A point is the output of one module: every top-level block (`model.4`, depth 1) and, at depth 2, the
children inside a block (`model.4.cv1`, `model.4.m.0`, `model.9.linear`). A Conv block (convolution,
BatchNorm, activation) has no points inside: converters fold the BatchNorm into the convolution, so only
its output exists in an artifact, and asking for the tensor in between would stop the folding. Children whose output is the
block's own output (C2f's `cv2`), their input (an eval-mode Dropout) or an earlier point's are left out: the
same tensor under two names would make exporters add Identity copies. Points are listed in the order the
network computes them, which puts a block's children before the block.

Exporters use `probed(model, names)` to export the model with the points as extra outputs (then record where
each one ended up in the artifact); the PyTorch runtime uses `capture(model, x, names)` for the reference.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
from torch import nn

from .blocks import Conv


@dataclass(frozen=True)
class Point:
    """One probe point. `index`: the top-level block's index in the network's layer list (a child has its
    block's); `name`: the module path (`model.4.m.0`); `type`: the module's class; `depth`: 1 for a block;
    `shape`: its output's shape for one image at the size it was found with."""

    index: int
    name: str
    type: str
    depth: int
    shape: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "shape": list(self.shape)}


def _candidates(model: nn.Module, depth: int) -> list[tuple[Point, nn.Module]]:
    out = []
    for i, block in enumerate(model.model):
        name = f"model.{i}"
        out.append((Point(i, name, str(getattr(block, "type", type(block).__name__)), 1), block))
        if depth < 2 or isinstance(block, Conv):
            continue  # conv + BatchNorm + activation is one unit: converters fold the BN, so no tensor sits inside
        for child_name, child in block.named_children():
            # A ModuleList (C2f's bottlenecks) is a container, not a computation: its members are the points.
            members = child.named_children() if isinstance(child, nn.ModuleList) else [("", child)]
            for sub, m in members:
                path = f"{name}.{child_name}" + (f".{sub}" if sub else "")
                out.append((Point(i, path, type(m).__name__, 2), m))
    return out


def block_points(model: nn.Module, depth: int = 2, imgsz: int = 32) -> list[Point]:
    """The probe points of `model` (a ClassificationModel) in computation order, to `depth` (1 or 2).

    Found by running the model once on zeros at `imgsz` (eval mode, no gradients); the model is left as it was.
    """
    if depth not in (1, 2):
        raise ValueError(f"depth={depth}: use 1 (top-level blocks) or 2 (also the modules inside each block)")
    cands = _candidates(model, depth)
    seen: list[tuple[Point, torch.Tensor, torch.Tensor]] = []  # (point, input, output) in completion order

    def hook(point: Point) -> Any:
        def fn(module: nn.Module, inputs: tuple, output: Any) -> None:
            if isinstance(output, torch.Tensor):
                seen.append((point, inputs[0] if inputs else None, output))
        return fn

    was_training = model.training
    handles = [m.register_forward_hook(hook(p)) for p, m in cands]
    try:
        model.eval()
        with torch.no_grad():
            p = next(model.parameters())
            model(torch.zeros(1, int(model.yaml.get("ch", 3)), imgsz, imgsz, dtype=p.dtype, device=p.device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    block_out = {pt.index: out for pt, _, out in seen if pt.depth == 1}
    points, outputs = [], []
    for pt, inp, out in seen:
        if pt.depth == 2 and (out is inp or out is block_out.get(pt.index) or any(out is o for o in outputs)):
            continue
        points.append(replace(pt, shape=tuple(out.shape)))
        outputs.append(out)
    return points


def capture(model: nn.Module, x: torch.Tensor, names: list[str]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run `model(x)` and return (its output, the outputs of the modules `names`, in that order)."""
    with probed(model, names):
        y, *points = model(x)
    return y, points


@contextlib.contextmanager
def probed(model: nn.Module, names: list[str]) -> Iterator[nn.Module]:
    """While open, `model(x)` returns `(output, *outputs of the modules names)`: what an exporter traces to give
    the points names in the artifact. Patches the instance's forward (not a wrapper module), so the traced
    graph's scopes and node names are those of the plain model."""
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise KeyError(f"the model has no modules {missing}")
    plain = model.forward

    def forward(self: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        got: dict[str, torch.Tensor] = {}
        handles = [modules[n].register_forward_hook(lambda m, i, o, n=n: got.__setitem__(n, o)) for n in names]
        try:
            y = plain(x)
        finally:
            for h in handles:
                h.remove()
        return (y, *(got[n] for n in names))

    own = model.__dict__.get("forward")  # an instance-level forward already there (restored after)
    model.forward = types.MethodType(forward, model)
    try:
        yield model
    finally:
        if own is None:
            del model.forward
        else:
            model.forward = own
