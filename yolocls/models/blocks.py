"""The building blocks of YOLOv8-cls: Conv, Bottleneck, C2f and the Classify head."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def autopad(k: int, p: int | None = None, d: int = 1) -> int:
    """'Same' padding for an odd kernel k with dilation d."""
    if p is None:
        k = d * (k - 1) + 1
        p = k // 2
    return p


def _taps(n: int, k: int, p: int, s: int) -> tuple[int, int, int]:
    """(output length, first and last kernel tap that ever lands on input data) along one axis."""
    out = (n + 2 * p - k) // s + 1
    return out, max(0, p - (out - 1) * s), min(k - 1, n - 1 + p)


def small_input_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor | None:
    """`conv(x)` computed without the kernel taps that only ever meet zero padding, or None when every tap
    meets data.

    Deep YOLOv8-cls stages see 2x2 and 1x1 maps at imgsz 32 (CIFAR-, MNIST-sized training): there a padded 3x3
    conv is a 1x1 or 2x2 one, and a 1x1 conv of a 1x1 map is a matrix product. oneDNN computes (and
    differentiates) the full kernel either way; cropping it made a training step ~15-20% faster on CPU here.
    The result is the same convolution (the dropped taps multiply zeros; their gradient is zero either way),
    so it is used for training only; eval, tracing and export run the plain conv.
    """
    if conv.dilation != (1, 1) or isinstance(conv.padding, str) or conv.padding_mode != "zeros":
        return None
    (kh, kw), (ph, pw), (sh, sw) = conv.kernel_size, conv.padding, conv.stride
    h, w = x.shape[-2:]
    if kh == kw == 1 and h == w == 1 and ph == pw == 0 and conv.groups == 1:
        return F.linear(x.flatten(1), conv.weight.flatten(1), conv.bias)[:, :, None, None]
    oh, top, bottom = _taps(h, kh, ph, sh)
    ow, left, right = _taps(w, kw, pw, sw)
    if (top, bottom, left, right) == (0, kh - 1, 0, kw - 1):
        return None
    pt, pl = ph - top, pw - left  # the padding the cropped kernel still needs
    pb = max(0, (oh - 1) * sh + bottom - top + 1 - pt - h)
    pr = max(0, (ow - 1) * sw + right - left + 1 - pl - w)
    if pt or pb or pl or pr:
        x = F.pad(x, (pl, pr, pt, pb))
    weight = conv.weight[:, :, top:bottom + 1, left:right + 1]
    return F.conv2d(x, weight, conv.bias, conv.stride, 0, 1, conv.groups)


class Conv(nn.Module):
    """Conv2d (no bias) -> BatchNorm2d -> SiLU. `fuse()` folds the BN into the conv for inference."""

    def __init__(self, c1: int, c2: int, k: int = 1, s: int = 1, p: int | None = None, g: int = 1, d: int = 1,
                 act: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p, d), groups=g, dilation=d, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = small_input_conv(self.conv, x) if self.training and not torch.jit.is_tracing() else None
        return self.act(self.bn(self.conv(x) if y is None else y))

    def forward_fused(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class Bottleneck(nn.Module):
    """Two 3x3 Convs with an optional residual connection."""

    def __init__(self, c1: int, c2: int, shortcut: bool = True, g: int = 1, k: tuple[int, int] = (3, 3),
                 e: float = 0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, k[0], 1)
        self.cv2 = Conv(c_, c2, k[1], 1, g=g)
        self.add = shortcut and c1 == c2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP block with two convolutions: split, n Bottlenecks in sequence, concatenate every stage, fuse."""

    def __init__(self, c1: int, c2: int, n: int = 1, shortcut: bool = False, g: int = 1, e: float = 0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, g, k=(3, 3), e=1.0) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class Classify(nn.Module):
    """1x1 Conv to 1280 channels, global average pool, dropout, Linear to nc.

    Training returns logits; eval mode returns softmax probabilities, which is what every
    exported artifact outputs too.
    """

    def __init__(self, c1: int, c2: int, dropout: float = 0.0, c_: int = 1280):
        super().__init__()
        self.conv = Conv(c1, c_, 1, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(p=dropout, inplace=True)
        self.linear = nn.Linear(c_, c2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(self.drop(self.pool(self.conv(x)).flatten(1)))
        return x if self.training else x.softmax(1)


BLOCKS: dict[str, type[nn.Module]] = {"Conv": Conv, "C2f": C2f, "Classify": Classify}
