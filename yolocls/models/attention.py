"""The attention blocks of YOLO11-cls and YOLO26-cls: multi-head self-attention over the pixels of a feature map
(`Attention`), with a feed-forward pair around it (`PSABlock`), stacked inside a CSP split (`C2PSA`).

Module and attribute names follow the Ultralytics layout (qkv, proj, pe, ffn; num_heads, key_dim, head_dim), so
Ultralytics state dicts load as they are and their pickled attributes can be checked against ours.
"""

from __future__ import annotations

import torch
from torch import nn

from .blocks import Conv


class Attention(nn.Module):
    """Self-attention over the H*W positions: one 1x1 conv gives queries and keys (`key_dim` channels a head) and
    values (`head_dim` a head); the attended values plus a depthwise 3x3 conv of the values (a positional
    encoding) go through a 1x1 projection.

    The forward never reads the input's shape: a traced `x.shape` becomes size/int ops that Core ML's converter
    (coremltools 9 with NumPy 2) cannot fold, so the reshapes are `flatten`/`unflatten`/`reshape_as`, which keep
    every size symbolic (dynamic ONNX) and which the other converters take too, except x2paddle, which has no
    unflatten/reshape_as: `reshape_with_input_sizes` switches a model to the same computation with sizes read
    from the input. `reshape`, not `view`: training runs channels-last on CPU, where a view is not always possible.
    """

    def __init__(self, dim: int, num_heads: int = 8, attn_ratio: float = 0.5):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.key_dim = int(self.head_dim * attn_ratio)
        self.scale = self.key_dim**-0.5
        self.qkv = Conv(dim, dim + 2 * self.key_dim * num_heads, 1, act=False)
        self.proj = Conv(dim, dim, 1, act=False)
        self.pe = Conv(dim, dim, 3, 1, g=dim, act=False)
        self.input_sizes = False  # see reshape_with_input_sizes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        split = [self.key_dim, self.key_dim, self.head_dim]
        if self.input_sizes:
            b, c, h, w = x.shape
            q, k, v = self.qkv(x).reshape(b, self.num_heads, sum(split), h * w).split(split, dim=2)
        else:  # each (b, heads, channels, h*w)
            q, k, v = self.qkv(x).flatten(2).unflatten(1, (self.num_heads, sum(split))).split(split, dim=2)
        attn = ((q * self.scale).transpose(-2, -1) @ k).softmax(dim=-1)  # (b, heads, h*w, h*w)
        y = v @ attn.transpose(-2, -1)
        if self.input_sizes:
            y, v = y.reshape(b, c, h, w), v.reshape(b, c, h, w)
        else:
            y, v = y.reshape_as(x), v.reshape_as(x)
        return self.proj(y + self.pe(v))


def reshape_with_input_sizes(model: nn.Module) -> nn.Module:
    """Switch every Attention of `model` (in place; returned) to reshapes with sizes read from its input: the same
    outputs, for converters without `unflatten`/`reshape_as` (x2paddle). The traced sizes become constants of
    the converted graph, which is fine for a static-shape export."""
    for m in model.modules():
        if isinstance(m, Attention):
            m.input_sizes = True
    return model


class PSABlock(nn.Module):
    """Attention then a two-conv feed-forward, each with a residual connection when `shortcut`."""

    def __init__(self, c: int, attn_ratio: float = 0.5, num_heads: int = 4, shortcut: bool = True):
        super().__init__()
        self.attn = Attention(c, attn_ratio=attn_ratio, num_heads=num_heads)
        self.ffn = nn.Sequential(Conv(c, c * 2, 1), Conv(c * 2, c, 1, act=False))
        self.add = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x) if self.add else self.attn(x)
        return x + self.ffn(x) if self.add else self.ffn(x)


class C2PSA(nn.Module):
    """CSP split: half of the channels pass through n PSABlocks (one head per 64 channels), half go around;
    a 1x1 conv fuses them. Input and output widths are equal."""

    def __init__(self, c1: int, c2: int, n: int = 1, e: float = 0.5):
        super().__init__()
        if c1 != c2:
            raise ValueError(f"C2PSA keeps its width: input {c1} and output {c2} channels must be equal")
        self.c = int(c1 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv(2 * self.c, c1, 1)
        self.m = nn.Sequential(*(PSABlock(self.c, attn_ratio=0.5, num_heads=max(self.c // 64, 1)) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.cv1(x).split((self.c, self.c), dim=1)
        return self.cv2(torch.cat((a, self.m(b)), 1))
