"""Config dict -> layers: the YAML rows `[from, repeats, block, args]` built at the config's scale.

The rules are those of the Ultralytics YAMLs, so its configs build the same networks: a block's first arg is its
output width at scale l, multiplied by the scale's width after capping at max_channels and rounded up to a
multiple of 8 (the Classify head's is the class count); repeats above 1 scale by depth; CSP blocks take the
repeat count as their own `n`, other blocks are stacked n times; at scales m, l and x every C3k2 uses C3k inner
blocks whatever its row says.

A config without `scales` is taken literally (depth and width multiples default to 1), which is how the
Ultralytics importer describes a checkpoint's layers exactly as its tensors have them.
"""

from __future__ import annotations

import math
from typing import Any

from torch import nn

from ..errors import ConfigError
from .attention import C2PSA
from .blocks import C2f, Classify, Conv
from .csp import C3k2

BLOCKS: dict[str, type[nn.Module]] = {"Conv": Conv, "C2f": C2f, "C3k2": C3k2, "C2PSA": C2PSA, "Classify": Classify}
REPEATS_INSIDE = (C2f, C3k2, C2PSA)  # blocks whose repeat count is their own `n` argument
C3K_SCALES = ("m", "l", "x")


def make_divisible(x: float, divisor: int = 8) -> int:
    return int(math.ceil(x / divisor) * divisor)


def _scaling(cfg: dict[str, Any]) -> tuple[float, float, float]:
    depth, width, max_ch = 1.0, 1.0, float("inf")
    if cfg.get("scales"):
        depth, width, max_ch = cfg["scales"][cfg["scale"]]
    return float(cfg.get("depth_multiple", depth)), float(cfg.get("width_multiple", width)), float(max_ch)


def parse_layers(cfg: dict[str, Any], ch: int) -> nn.Sequential:
    """Build the layers of `cfg` (backbone + head) at its scale, for `ch` input channels."""
    depth, width, max_ch = _scaling(cfg)
    nc = int(cfg["nc"])
    scaled = bool(cfg.get("scales"))
    layers, c_prev = [], ch
    for i, (f, n, name, args) in enumerate(cfg["backbone"] + cfg.get("head", [])):
        if f != -1:
            raise ConfigError(f"layer {i} takes input from {f}: classification models are sequential (from = -1)")
        block = BLOCKS.get(name)
        if block is None:
            raise ConfigError(
                f"layer {i} uses block '{name}', which yolocls does not have; supported: {', '.join(BLOCKS)}"
            )
        args = [nc if a == "nc" else a for a in args]
        n_ = max(round(n * depth), 1) if n > 1 else n
        if block is Classify:
            m, c2 = Classify(c_prev, args[0], dropout=float(cfg.get("dropout", 0.0))), args[0]
        else:
            c2 = make_divisible(min(args[0], max_ch) * width, 8)
            full = [c_prev, c2, *args[1:]]
            if block in REPEATS_INSIDE:
                full.insert(2, n_)
                if block is C3k2 and scaled and cfg.get("scale") in C3K_SCALES:
                    full[3:4] = [True]  # also supplies c3k when the row omits it
                m = block(*full)
            else:
                m = nn.Sequential(*(block(*full) for _ in range(n_))) if n_ > 1 else block(*full)
        m.i, m.type, m.np = i, name, sum(p.numel() for p in m.parameters())  # type: ignore[assignment]
        layers.append(m)
        c_prev = c2
    return nn.Sequential(*layers)
