"""The building blocks of YOLOv8-cls (Conv, Bottleneck, C2f, the Classify head), which YOLO11/26-cls reuse, and
the small-input convolution paths that speed up training at tiny image sizes."""

from __future__ import annotations

import functools

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


DENSE_MAX_PIXELS = 4  # maps up to 2x2: a conv there is one small matrix product (measured on CPU, 2 threads)
POINTWISE_MAX_PIXELS = 64  # 1x1 convs up to 8x8 maps: a matrix product over pixels beats oneDNN; at 16x16 not


def small_input_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor | None:
    """`conv(x)` computed in a cheaper way where the map is tiny, or None where the plain conv is best.

    Deep YOLOv8-cls stages see 4x4, 2x2 and 1x1 maps at imgsz 32 (CIFAR-, MNIST-sized training), where oneDNN's
    convolution (and its backward above all) spends more on set-up and padding than on arithmetic. On CPU:
    a 1x1 conv of a map of at most 8x8 pixels runs as a matrix product over pixels (`_pointwise_conv`), any
    other conv of a map of at most 2x2 as one matrix product with a dense weight built from the kernel taps
    (`_dense_conv`); elsewhere kernel taps that only ever meet zero padding are cropped away
    (`_cropped_conv`). Each is the same convolution (outputs and gradients equal up to float rounding), so it
    is used for training only; eval, tracing and export run the plain conv. Together they made a yolov8n-cls
    training step at imgsz 32 ~25% faster here.
    """
    if conv.dilation != (1, 1) or isinstance(conv.padding, str) or conv.padding_mode != "zeros":
        return None
    h, w = x.shape[-2:]
    if conv.groups == 1 and x.device.type == "cpu":
        if conv.kernel_size == (1, 1) and conv.stride == (1, 1) and conv.padding == (0, 0):
            if h * w <= POINTWISE_MAX_PIXELS:
                return _pointwise_conv(conv, x)
        elif h * w <= DENSE_MAX_PIXELS:
            return _dense_conv(conv, x)
    return _cropped_conv(conv, x)


@functools.lru_cache(maxsize=32)
def _tap_selector(geometry: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """0/1 matrix (oh*ow*h*w, kh*kw): entry ((output pixel, input pixel), tap) is 1 where that kernel tap joins
    the two pixels. Shared and cached per geometry: callers must not change it."""
    h, w, kh, kw, sh, sw, ph, pw, oh, ow = geometry
    oy, ox, iy, ix = torch.meshgrid(*(torch.arange(n) for n in (oh, ow, h, w)), indexing="ij")
    ky, kx = (iy - oy * sh + ph).flatten(), (ix - ox * sw + pw).flatten()
    hit = (ky >= 0) & (ky < kh) & (kx >= 0) & (kx < kw)
    sel = torch.zeros(oh * ow * h * w, kh * kw, dtype=dtype)
    sel[torch.arange(hit.numel())[hit], (ky * kw + kx)[hit]] = 1
    return sel


def _dense_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """The conv as one matrix product: (N, pixels * Cin) @ dense weight -> (N, out pixels * Cout). Pixels come
    before channels, so a channels-last input and output are views, not copies."""
    n, ci, h, w = x.shape
    co, _, kh, kw = conv.weight.shape
    (ph, pw), (sh, sw) = conv.padding, conv.stride
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    sel = _tap_selector((h, w, kh, kw, sh, sw, ph, pw, oh, ow), conv.weight.dtype)
    # each block of the dense weight is one kernel tap (or zeros): a product with a 0/1 matrix, whose backward
    # is one matrix product too. (Cout, taps, Cin) is a view of a channels-last weight.
    taps = conv.weight.permute(0, 2, 3, 1).reshape(co, kh * kw, ci)
    dense = torch.matmul(sel, taps).reshape(co, oh * ow, h * w, ci)
    dense = dense.permute(1, 0, 2, 3).reshape(oh * ow * co, h * w * ci)
    bias = conv.bias.repeat(oh * ow) if conv.bias is not None else None
    y = F.linear(x.permute(0, 2, 3, 1).reshape(n, h * w * ci), dense, bias)
    return y.reshape(n, oh, ow, co).permute(0, 3, 1, 2)


def _pointwise_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """A 1x1 conv as a matrix product over pixels: (N*H*W, Cin) @ (Cin, Cout)."""
    n, ci, h, w = x.shape
    y = F.linear(x.permute(0, 2, 3, 1).reshape(n * h * w, ci), conv.weight.reshape(-1, ci), conv.bias)
    return y.reshape(n, h, w, -1).permute(0, 3, 1, 2)


def _cropped_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor | None:
    """The conv with the kernel taps that only ever meet zero padding dropped (their products are zeros, their
    gradients zero either way), or None when every tap meets data."""
    (kh, kw), (ph, pw), (sh, sw) = conv.kernel_size, conv.padding, conv.stride
    h, w = x.shape[-2:]
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
        y = list(self.cv1(x).split((self.c, self.c), 1))  # static sizes: one ONNX Split, no Shape/Slice arithmetic
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

