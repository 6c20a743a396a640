"""The block map, recorded at export time: which tensor of the artifact is the output of each block.

Every exporter that can name its artifact's intermediate tensors records, in the metadata under `blocks`,
one entry per probe point (`yolocls.models.probes`): the point (index in the network's layer list, module
name, type, depth, shape) and its locator in the artifact (`tensor`: an ONNX/OpenVINO tensor name, a TFLite
tensor index, a TorchScript submodule path) with the layout the artifact keeps it in. The last top-level
block is the network's output: its entry has `output: true` and no locator (a runtime's `predict` gives it).

The map is built from the artifact itself, never guessed from op names afterwards: ONNX-based formats export
the model with every point as an extra, named graph output, let the converter and simplifier work on that
graph (a graph output survives fusion, and BatchNorm folding happens inside the Conv blocks, between
points), then drop the extra outputs so the deployed artifact computes exactly what it did before; the
tensors keep their names. `yolocls diff` reads the map back through each format's runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError
from ..metadata import BLOCKS_KEY

TENSOR_PREFIX = "blocks/"  # the name an ONNX-based artifact gives a point's tensor: blocks/model.4


def tensor_name(point_name: str) -> str:
    return TENSOR_PREFIX + point_name


def head(points: Iterable[Any]) -> Any:
    """The network's output block (the last top-level point)."""
    return [p for p in points if p.depth == 1][-1]


def probe_names(points: Iterable[Any]) -> list[str]:
    """The points an exporter adds as extra outputs: all but the head, which is the output itself."""
    points = list(points)
    last = head(points)
    return [p.name for p in points if p != last]


def record(metadata: dict[str, Any], points: Iterable[Any], locators: dict[str, Any], *, how: str,
           layouts: dict[str, str] | None = None, note: str = "") -> None:
    """Write the block map into `metadata`: one entry per point, in network order. A point without a locator
    is listed under `unmapped` (the converter removed or merged its tensor), never given a guessed one."""
    points = list(points)
    last = head(points)
    entries, unmapped = [], []
    for p in points:
        if p == last:
            entries.append({**p.to_dict(), "tensor": None, "output": True})
        elif p.name in locators:
            entries.append({**p.to_dict(), "tensor": locators[p.name], "layout": (layouts or {}).get(p.name, "NCHW")})
        else:
            unmapped.append(p.name)
    metadata[BLOCKS_KEY] = {"how": how, "points": entries, "unmapped": unmapped, **({"note": note} if note else {})}


def nhwc_layouts(points: Iterable[Any], shapes: dict[str, tuple[int, ...]]) -> tuple[dict[str, str], list[str]]:
    """Layouts of the points whose artifact tensor has `shapes[name]`: NCHW when equal to the PyTorch shape,
    NHWC when the channels moved last (onnx2tf's layout), and the names that match neither (left unmapped)."""
    layouts, bad = {}, []
    for p in points:
        if p.name not in shapes:
            continue
        got, want = tuple(shapes[p.name])[1:], tuple(p.shape)[1:]
        if len(want) == 3 and got == (want[1], want[2], want[0]):
            layouts[p.name] = "NHWC"
        elif got == want:
            layouts[p.name] = "NCHW"
        else:
            bad.append(p.name)
    return layouts, bad


def top_level(entries_or_points: Iterable[Any]) -> list[Any]:
    """The top-level blocks (depth 1), network order."""
    return [p for p in entries_or_points if (p["depth"] if isinstance(p, dict) else p.depth) == 1]


def slice_blocks(parents: dict[str, list[str]], boundaries: list[str]) -> list[set[str]]:
    """The nodes of each top-level block of a sequential network's graph, from the graph's edges (node ->
    the nodes it reads from) and each block's output node (network order, the output last): block i is every
    node its output depends on that block i-1's output does not (weights and constants included)."""
    def ancestors(node: str) -> set[str]:
        seen, stack = set(), [node]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(parents.get(n, ()))
        return seen

    out, before = [], set()
    for b in boundaries:
        mine = ancestors(b)
        out.append(mine - before)
        before |= mine
    return out


def check_keep_float(points: Iterable[Any], keep: list[int]) -> list[Any]:
    """The top-level points; a ConfigError naming the indices of `keep` the model has no block for."""
    blocks = top_level(points)
    unknown = sorted(set(keep) - {p.index for p in blocks})
    if unknown:
        raise ConfigError(f"keep_float={keep}: the model has no blocks {unknown} (its blocks are 0-{blocks[-1].index})")
    return blocks


def keep_float_entries(points: Iterable[Any], keep: list[int]) -> list[dict[str, Any]]:
    """The metadata record of the blocks an int8 export kept in float: index, name and type of each."""
    return [{"index": p.index, "name": p.name, "type": p.type} for p in top_level(points) if p.index in keep]
