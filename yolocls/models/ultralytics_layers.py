"""The layers of a pickled Ultralytics classifier, described as our config rows from its own module tree.

An Ultralytics checkpoint embeds the YAML it was built from, but what that YAML builds depends on the release
that read it (e.g. which C3k2 layers get C3k inner blocks at which scale), and releases differ. So the rows are
read from the pickled modules instead: widths and kernel sizes from the weight tensors' shapes, repeat counts from
the number of inner blocks, the kind of inner block from its class, and what no tensor shows (strides, groups,
shortcuts, attention heads) from the attributes the pickle stores. The rows are unscaled (depth and width 1),
so `parse_layers` builds exactly that structure; `check_structure` then proves it, module by module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from torch import nn

from ..errors import CheckpointError
from .blocks import autopad
from .safe_unpickle import Record

# Attributes that decide what a layer computes but leave no trace in its tensors' shapes.
ATTRIBUTES = ("stride", "padding", "dilation", "groups", "padding_mode", "kernel_size", "add", "c", "num_heads",
              "key_dim", "head_dim")


def modules(rec: Record, prefix: str = "") -> Iterator[tuple[str, Record]]:
    """(dotted path, record) of `rec` and every sub-module record below it, in order."""
    yield prefix, rec
    for name, sub in children(rec).items():
        yield from modules(sub, f"{prefix}.{name}" if prefix else name)


def children(rec: Record) -> dict[str, Record]:
    """The direct sub-module records of `rec`, by name."""
    return {str(k): v for k, v in (rec.get("_modules") or {}).items() if isinstance(v, Record)}


def child(rec: Record, *path: str) -> Record:
    for name in path:
        nxt = children(rec).get(name)
        if nxt is None:
            raise KeyError(f"{rec.name} has no sub-module '{name}'")
        rec = nxt
    return rec


def _attr(rec: Record, name: str) -> Any:
    """An attribute the pickle stores for the module (nn.Conv2d always pickles its stride, padding...)."""
    if not isinstance(rec.state, dict) or name not in rec.state:
        raise KeyError(f"{rec.name} has no '{name}' attribute")
    return rec.state[name]


def _weight_shape(rec: Record) -> tuple[int, ...]:
    w = (rec.get("_parameters") or {}).get("weight")
    if w is None:
        raise KeyError(f"{rec.name} has no weight tensor")
    return tuple(w.shape)


def _out(conv: Record) -> int:
    """Output channels of an Ultralytics Conv (its Conv2d's weight rows)."""
    return _weight_shape(child(conv, "conv"))[0]


def _single(value: Any, what: str) -> int:
    """A square kernel/stride/dilation as one int (our Conv takes ints)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1:
        raise KeyError(f"non-square {what} {values}")
    return int(values[0])


def _ratio(hidden: int, width: int) -> float:
    """The expansion e with int(width * e) == hidden, as the blocks compute their hidden width."""
    e = hidden / width
    return e if int(width * e) == hidden else (hidden + 0.5) / width


def _trim(args: list[Any], defaults: list[Any]) -> list[Any]:
    """`args` without the trailing ones equal to their defaults (`defaults` lines up with args[-len(defaults):])."""
    keep = len(args)
    while keep > len(args) - len(defaults) and args[keep - 1] == defaults[keep - 1 - (len(args) - len(defaults))]:
        keep -= 1
    return args[:keep]


def _conv_args(rec: Record) -> list[Any]:
    conv = child(rec, "conv")
    co, _, kh, kw = _weight_shape(conv)
    if kh != kw:
        raise KeyError(f"non-square kernel {kh}x{kw}")
    d = _single(_attr(conv, "dilation"), "dilation")
    p = _single(_attr(conv, "padding"), "padding")
    act = child(rec, "act").name != "Identity"
    args = [co, kh, _single(_attr(conv, "stride"), "stride"), None if p == autopad(kh, None, d) else p,
            int(_attr(conv, "groups")), d, act]
    return _trim(args, [1, None, 1, 1, True])


def _bottleneck(rec: Record) -> tuple[bool, int]:
    """(shortcut, groups of its second conv) of a Bottleneck record."""
    return bool(_attr(rec, "add")), int(_attr(child(rec, "cv2", "conv"), "groups"))


def _c2f_args(rec: Record) -> tuple[int, list[Any]]:
    inner = list(children(child(rec, "m")).values())
    c2, c = _out(child(rec, "cv2")), _out(child(rec, "cv1")) // 2
    shortcut, g = _bottleneck(inner[0]) if inner else (False, 1)
    return len(inner), _trim([c2, shortcut, g, _ratio(c, c2)], [False, 1, 0.5])


def _c3k2_args(rec: Record) -> tuple[int, list[Any]]:
    inner = list(children(child(rec, "m")).values())
    c2, c = _out(child(rec, "cv2")), _out(child(rec, "cv1")) // 2
    c3k = attn = False
    shortcut, g = True, 1
    if inner:
        first = inner[0]
        attn, c3k = first.name == "Sequential", first.name == "C3k"
        bottleneck = child(first, "0") if attn else child(first, "m", "0") if c3k else first
        shortcut, g = _bottleneck(bottleneck)
    return len(inner), _trim([c2, c3k, _ratio(c, c2), attn, g, shortcut], [False, 0.5, False, 1, True])


def _c2psa_args(rec: Record) -> tuple[int, list[Any]]:
    c2, c = _out(child(rec, "cv2")), _out(child(rec, "cv1")) // 2
    return len(children(child(rec, "m"))), _trim([c2, _ratio(c, c2)], [0.5])


def layer_row(rec: Record) -> list[Any]:
    """The config row `[-1, repeats, block, args]` that builds the pickled layer `rec`."""
    n = 1
    if rec.name == "Sequential":  # a base block repeated: n copies of the same
        copies = list(children(rec).values())
        n, rec = len(copies), copies[0]
    if rec.name == "Conv":
        return [-1, n, "Conv", _conv_args(rec)]
    if rec.name == "Classify":
        return [-1, n, "Classify", [_weight_shape(child(rec, "linear"))[0]]]
    describe = {"C2f": _c2f_args, "C3k2": _c3k2_args, "C2PSA": _c2psa_args}.get(rec.name)
    if describe is None or n != 1:
        raise KeyError(f"a top-level {rec.name} layer")
    n, args = describe(rec)
    return [-1, n, rec.name, args]


def describe_layers(model: Record, path: Path, supported: str) -> list[list[Any]]:
    """One config row per layer of the pickled ClassificationModel `model`."""
    rows = []
    for i, rec in enumerate(children(child(model, "model")).values()):
        try:
            rows.append(layer_row(rec))
        except (KeyError, IndexError, TypeError, ValueError) as e:
            raise CheckpointError(f"'{path}': layer {i} ({rec.name}) has a structure yolocls cannot rebuild "
                                  f"({e}); yolocls imports only {supported}") from None
    return rows


def check_structure(ours: nn.Module, model: Record, path: Path, supported: str) -> None:
    """Same module tree, layer for layer, and the same shape-less attributes: the state dict alone would miss
    e.g. another activation, stride or number of attention heads."""
    theirs = dict(modules(model))
    mine = dict(ours.named_modules())
    names = {p: r.name for p, r in theirs.items()}
    diff = sorted(set(names.items()) ^ {(p, type(m).__name__) for p, m in mine.items()})
    if diff:
        p = diff[0][0]
        raise CheckpointError(f"'{path}': layer '{p or '<root>'}' is {names.get(p, 'absent')} in the checkpoint "
                              f"but {type(mine[p]).__name__ if p in mine else 'absent'} in the model rebuilt from "
                              f"it; yolocls imports only {supported}")
    for p, rec in theirs.items():
        for attr in ATTRIBUTES if p else ():  # the root's `stride` is Ultralytics' own bookkeeping
            if isinstance(rec.state, dict) and attr in rec.state and hasattr(mine[p], attr):
                want, got = rec.state[attr], getattr(mine[p], attr)
                if (tuple(want) if isinstance(want, list) else want) != got:
                    raise CheckpointError(f"'{path}': '{p}.{attr}' is {want!r} in the checkpoint but {got!r} in "
                                          f"the model rebuilt from it; yolocls imports only {supported}")
