"""The CSP blocks of YOLO11-cls and YOLO26-cls: `C3k` (a C3 with k x k bottlenecks) and `C3k2` (a C2f whose
inner blocks are Bottlenecks, C3ks, or Bottleneck + attention pairs).

Module and attribute names follow the Ultralytics layout (cv1, cv2, cv3, m), so Ultralytics state dicts load
as they are and their pickled module trees can be compared layer for layer.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import PSABlock
from .blocks import Bottleneck, C2f, Conv


class C3k(nn.Module):
    """CSP block with three 1x1 convs: one branch runs n Bottlenecks with k x k kernels, the other is a 1x1 conv;
    both are concatenated and fused by cv3."""

    def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = True, g: int = 1, e: float = 0.5,
                 k: int = 3):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, g, k=(k, k), e=1.0) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class C3k2(C2f):
    """C2f with a choice of inner block: a Bottleneck (default), a C3k of two bottlenecks (`c3k`), or a Bottleneck
    followed by a PSABlock (`attn`)."""

    def __init__(self, c1: int, c2: int, n: int = 1, c3k: bool = False, e: float = 0.5, attn: bool = False,
                 g: int = 1, shortcut: bool = True):
        super().__init__(c1, c2, n, shortcut, g, e)

        def inner() -> nn.Module:
            if attn:
                return nn.Sequential(Bottleneck(self.c, self.c, shortcut, g),
                                     PSABlock(self.c, attn_ratio=0.5, num_heads=max(self.c // 64, 1)))
            if c3k:
                return C3k(self.c, self.c, 2, shortcut, g)
            return Bottleneck(self.c, self.c, shortcut, g)

        self.m = nn.ModuleList(inner() for _ in range(n))
