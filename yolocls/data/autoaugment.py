"""RandAugment, AutoAugment (ImageNet policy) and AugMix on uint8 HWC arrays, with an explicit NumPy generator.

The operations, magnitude ranges and policies are those torchvision uses (and therefore Ultralytics users get):
RandAugment(num_ops=2, magnitude=9 of 31 bins), AutoAugment's ImageNet policy (10 bins), AugMix(severity=3,
width=3, depth 1-3, alpha=1, all operations). Geometric ops run in Pillow (bilinear, black fill); colour ops are
NumPy versions of Pillow's ImageEnhance/ImageOps rules, which on tiny images cost a fraction of the Pillow calls.
An image moves between the two as it is: geometric ops take and return Pillow images, colour ops NumPy arrays,
so consecutive ops of one kind convert nothing (on 32x32 images a conversion costs as much as the op).
Random draws come from a `random.Random` (a draw costs a tenth of a NumPy Generator call).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from PIL import Image

Img = np.ndarray | Image.Image
Op = Callable[[Img, float], Img]
GRAY = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601-2 luma, as Pillow's "L" mode


def as_array(x: Img) -> np.ndarray:
    """uint8 HWC array of `x` (read-only when `x` is a Pillow image)."""
    return np.asarray(x)


def _pil(x: Img) -> Image.Image:
    return x if isinstance(x, Image.Image) else Image.fromarray(x)


def _u8(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, 255).astype(np.uint8)


def _blend(degenerate: np.ndarray | float, a: np.ndarray, factor: float) -> np.ndarray:
    """degenerate + factor * (a - degenerate): Pillow's ImageEnhance rule (factor 1 = unchanged)."""
    return _u8(degenerate + factor * (a.astype(np.float32) - degenerate))


def _affine(x: Img, coeffs: tuple[float, ...]) -> Image.Image:
    img = _pil(x)
    return img.transform(img.size, Image.AFFINE, coeffs, resample=Image.BILINEAR, fillcolor=(0, 0, 0))


def _rotate(x: Img, deg: float) -> Image.Image:
    return _pil(x).rotate(deg, resample=Image.BILINEAR, fillcolor=(0, 0, 0))


def _contrast(x: Img, f: float) -> np.ndarray:
    a = as_array(x)
    return _blend(float(int((a @ GRAY).mean() + 0.5)), a, f)


def _color(x: Img, f: float) -> np.ndarray:
    a = as_array(x)
    return _blend((a @ GRAY)[..., None], a, f)


def _sharpness(img: Img, f: float) -> np.ndarray:
    """Blend with the 3x3 smoothed image (kernel 1 1 1 / 1 5 1 / 1 1 1, /13; border pixels unchanged)."""
    a = as_array(img)
    x = a.astype(np.float32)
    smooth = x.copy()
    if a.shape[0] > 2 and a.shape[1] > 2:
        s = sum(x[1 + dy:x.shape[0] - 1 + dy, 1 + dx:x.shape[1] - 1 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
        smooth[1:-1, 1:-1] = np.round((s + 4 * x[1:-1, 1:-1]) / 13.0)
    return _blend(smooth, a, f)


@lru_cache(maxsize=64)
def _lut(kind: str, m: int) -> np.ndarray:
    """Lookup table for posterize (keep m bits) or solarize (invert values >= m), built once."""
    x = np.arange(256)
    y = x & (~((1 << (8 - m)) - 1) & 0xFF) if kind == "posterize" else np.where(x >= m, 255 - x, x)
    return y.astype(np.uint8)


def autocontrast(x: Img) -> np.ndarray:
    """Stretch each channel to the full 0-255 range (channels with a single value are left alone)."""
    a = as_array(x)
    lo, hi = a.min(axis=(0, 1)).astype(np.float32), a.max(axis=(0, 1)).astype(np.float32)
    scale = np.where(hi > lo, 255.0 / np.maximum(hi - lo, 1.0), 1.0)
    lo = np.where(hi > lo, lo, 0.0)
    return _u8((a - lo) * scale)


def equalize(x: Img) -> np.ndarray:
    """Histogram equalisation per channel (the lookup table Pillow and torchvision use)."""
    a = as_array(x)
    out = np.empty_like(a)
    for c in range(a.shape[2]):
        ch = a[..., c]
        hist = np.bincount(ch.ravel(), minlength=256)
        nz = hist[hist > 0]
        step = (nz.sum() - nz[-1]) // 255 if len(nz) else 0
        if step == 0:
            out[..., c] = ch
            continue
        out[..., c] = np.clip((np.cumsum(hist) - hist + step // 2) // step, 0, 255).astype(np.uint8)[ch]
    return out


OPS: dict[str, Op] = {
    "Identity": lambda a, m: a,
    "ShearX": lambda a, m: _affine(a, (1.0, m, 0.0, 0.0, 1.0, 0.0)),
    "ShearY": lambda a, m: _affine(a, (1.0, 0.0, 0.0, m, 1.0, 0.0)),
    "TranslateX": lambda a, m: _affine(a, (1.0, 0.0, m, 0.0, 1.0, 0.0)),
    "TranslateY": lambda a, m: _affine(a, (1.0, 0.0, 0.0, 0.0, 1.0, m)),
    "Rotate": _rotate,
    "Brightness": lambda a, m: _blend(0.0, as_array(a), 1.0 + m),
    "Color": lambda a, m: _color(a, 1.0 + m),
    "Contrast": lambda a, m: _contrast(a, 1.0 + m),
    "Sharpness": lambda a, m: _sharpness(a, 1.0 + m),
    "Posterize": lambda a, m: _lut("posterize", int(m))[as_array(a)],
    "Solarize": lambda a, m: _lut("solarize", int(m))[as_array(a)],
    "AutoContrast": lambda a, m: autocontrast(a),
    "Equalize": lambda a, m: equalize(a),
    "Invert": lambda a, m: 255 - as_array(a),
}


@lru_cache(maxsize=32)
def magnitude_table(bins: int, size: tuple[int, int], translate_frac: float = 150.0 / 331.0,
                    posterize_from: int = 8) -> dict[str, tuple[tuple[float, ...] | None, bool]]:
    """op -> (magnitude per bin or None, signed) for an image of `size` (w, h). Cached: built once per size."""
    w, h = size
    lin = lambda hi: tuple(np.linspace(0.0, hi, bins).tolist())  # noqa: E731
    return {
        "Identity": (None, False),
        "ShearX": (lin(0.3), True),
        "ShearY": (lin(0.3), True),
        "TranslateX": (lin(translate_frac * w), True),
        "TranslateY": (lin(translate_frac * h), True),
        "Rotate": (lin(30.0), True),
        "Brightness": (lin(0.9), True),
        "Color": (lin(0.9), True),
        "Contrast": (lin(0.9), True),
        "Sharpness": (lin(0.9), True),
        "Posterize": (tuple((posterize_from - np.round(np.arange(bins) / ((bins - 1) / 4))).tolist()), False),
        "Solarize": (tuple(np.linspace(255.0, 0.0, bins).tolist()), False),
        "AutoContrast": (None, False),
        "Equalize": (None, False),
    }


def _apply(a: Img, name: str, table: dict, index: int | None, rng: random.Random) -> Img:
    mags, signed = table[name] if name in table else (None, False)
    m = 0.0 if mags is None or index is None else float(mags[index])
    if signed and rng.random() < 0.5:
        m = -m
    return OPS[name](a, m)


def _size(a: Img) -> tuple[int, int]:
    return a.size if isinstance(a, Image.Image) else (int(a.shape[1]), int(a.shape[0]))


def dirichlet(rng: random.Random, alphas: list[float]) -> np.ndarray:
    """A Dirichlet(alphas) draw from `rng` (normalised Gamma draws)."""
    g = np.array([rng.gammavariate(a, 1.0) for a in alphas])
    return g / g.sum() if g.sum() > 0 else np.full(len(alphas), 1.0 / len(alphas))


def rand_augment(a: Img, rng: random.Random, num_ops: int = 2, magnitude: int = 9, bins: int = 31) -> Img:
    """RandAugment: `num_ops` operations drawn uniformly, each at the fixed `magnitude` bin."""
    table = magnitude_table(bins, _size(a))
    names = list(table)
    for _ in range(num_ops):
        a = _apply(a, names[rng.randrange(len(names))], table, magnitude, rng)
    return a


# AutoAugment's ImageNet policy: 25 sub-policies of two (op, probability, magnitude bin) steps.
IMAGENET_POLICY = (
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)), (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, None)), (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)), (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
    (("Equalize", 0.0, None), ("Equalize", 0.8, None)), (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, None)), (("Color", 0.4, 0), ("Equalize", 0.6, None)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
)


def auto_augment(a: Img, rng: random.Random) -> Img:
    """AutoAugment with the ImageNet policy: one sub-policy drawn uniformly, each step applied with its p."""
    table = magnitude_table(10, _size(a))
    for name, p, index in IMAGENET_POLICY[rng.randrange(len(IMAGENET_POLICY))]:
        if rng.random() <= p:
            a = _apply(a, name, table, index, rng)
    return a


def augmix(a: Img, rng: random.Random, severity: int = 3, width: int = 3, depth: int = -1,
           alpha: float = 1.0) -> np.ndarray:
    """AugMix: `width` chains of 1-3 random ops, mixed with Dirichlet weights, then blended with the original
    by a Beta(alpha, alpha)-distributed weight."""
    table = magnitude_table(11, _size(a), translate_frac=1.0 / 3.0, posterize_from=4)
    names = list(table)
    keep, mixw = dirichlet(rng, [alpha, alpha])
    weights = dirichlet(rng, [alpha] * width) * mixw
    mix = as_array(a).astype(np.float32) * keep
    for w in weights:
        aug = a
        for _ in range(depth if depth > 0 else rng.randrange(1, 4)):
            aug = _apply(aug, names[rng.randrange(len(names))], table, rng.randrange(severity), rng)
        mix += w * as_array(aug)
    return _u8(mix)


POLICIES: dict[str, Callable[[Img, random.Random], Img]] = {
    "randaugment": rand_augment,
    "autoaugment": auto_augment,
    "augmix": augmix,
}
