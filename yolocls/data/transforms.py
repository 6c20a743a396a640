"""Training augmentation (Pillow/NumPy), in this order, with the defaults Ultralytics users know (but erasing):

1. random resized crop: area fraction in (1 - scale, 1) (scale=0.5), aspect 3/4-4/3, bilinear to imgsz x imgsz
2. horizontal flip with p=fliplr (0.5), then vertical flip with p=flipud (0.0)
3. auto_augment: randaugment (default) | autoaugment | augmix | none
4. HSV jitter (brightness and contrast +-hsv_v, saturation +-hsv_s, hue +-hsv_h) - only when auto_augment=none,
   as in Ultralytics, whose policies already change colour
5. random erasing with p=erasing (default 0.0, off; Ultralytics 0.4): a rectangle of 2-33% of the area, aspect
   0.3-3.3, set to black. Off by default because erasing a third of a small object costs accuracy at every
   training length measured (docs/training.md: +4.5 points at 10 epochs, +2.8 at 30 on a plain folder)

Every random draw comes from the `random.Random` passed in, which the loader seeds from (seed, epoch, sample
index) with `sample_rng`, so an image's augmentation does not depend on worker count, process count or
interruption.
Evaluation never augments: it uses `yolocls.data.preprocess.preprocess`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import ConfigError
from .autoaugment import OPS, POLICIES, as_array

AUTO_AUGMENT = ("randaugment", "autoaugment", "augmix", "none")


def sample_rng(seed: int, epoch: int, index: int) -> random.Random:
    """The generator of one sample's augmentation: a function of (seed, epoch, index) only."""
    return random.Random((int(seed) & 0xFFFFFFFF) << 64 | (int(epoch) & 0xFFFFFFFF) << 32 | (int(index) & 0xFFFFFFFF))


def random_resized_crop_box(w: int, h: int, rng: random.Random, scale: tuple[float, float],
                            ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a crop with area fraction in `scale` and aspect in `ratio` (10 tries,
    then the largest centred crop within `ratio`)."""
    area = w * h
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_r))
        cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            x, y = rng.randrange(w - cw + 1), rng.randrange(h - ch + 1)
            return x, y, x + cw, y + ch
    r = w / h
    cw, ch = (w, round(w / ratio[0])) if r < ratio[0] else (round(h * ratio[1]), h) if r > ratio[1] else (w, h)
    x, y = (w - cw) // 2, (h - ch) // 2
    return x, y, x + cw, y + ch


def hsv_jitter(a: np.ndarray, rng: random.Random, h: float, s: float, v: float) -> np.ndarray:
    """Brightness and contrast factors in 1 +- v, saturation in 1 +- s, hue shift in +- h (fraction of a turn)."""
    if v > 0:
        a = OPS["Brightness"](a, rng.uniform(max(0.0, 1 - v), 1 + v) - 1.0)
        a = OPS["Contrast"](a, rng.uniform(max(0.0, 1 - v), 1 + v) - 1.0)
    if s > 0:
        a = OPS["Color"](a, rng.uniform(max(0.0, 1 - s), 1 + s) - 1.0)
    if h > 0:
        shift = int(round(rng.uniform(-h, h) * 255))
        if shift:
            hsv = np.array(Image.fromarray(a).convert("HSV"))
            hsv[..., 0] = (hsv[..., 0].astype(np.int16) + shift) % 256
            a = np.asarray(Image.fromarray(hsv, "HSV").convert("RGB"))
    return a


def random_erase(a: np.ndarray, rng: random.Random, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3)) -> np.ndarray:
    """Set one random rectangle of `a` (HWC) to 0, in place (10 tries to fit one)."""
    h, w = a.shape[:2]
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = h * w * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_r))
        eh, ew = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if eh < h and ew < w:
            y, x = rng.randrange(h - eh + 1), rng.randrange(w - ew + 1)
            a[y:y + eh, x:x + ew] = 0
            break
    return a


@dataclass(frozen=True)
class TrainTransform:
    """uint8 HWC RGB image (any size) + generator -> augmented uint8 HWC image of imgsz x imgsz."""

    imgsz: int
    scale: float = 0.5
    fliplr: float = 0.5
    flipud: float = 0.0
    auto_augment: str = "randaugment"
    hsv_h: float = 0.015
    hsv_s: float = 0.7
    hsv_v: float = 0.4
    erasing: float = 0.0

    def __post_init__(self) -> None:
        aa = str(self.auto_augment or "none").lower()
        if aa in ("false", "null"):
            aa = "none"
        if aa not in AUTO_AUGMENT:
            raise ConfigError(f"auto_augment={self.auto_augment!r} is not valid: use {', '.join(AUTO_AUGMENT)}")
        object.__setattr__(self, "auto_augment", aa)
        if not 0.0 <= self.scale < 1.0:
            raise ConfigError(f"scale={self.scale} must be in [0, 1): crops keep an area fraction in (1 - scale, 1)")

    def __call__(self, a: np.ndarray, rng: random.Random) -> np.ndarray:
        h, w = a.shape[:2]
        box = random_resized_crop_box(w, h, rng, (1.0 - self.scale, 1.0))
        img = Image.fromarray(a).resize((self.imgsz, self.imgsz), Image.BILINEAR, box=box)
        if self.fliplr > 0 and rng.random() < self.fliplr:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if self.flipud > 0 and rng.random() < self.flipud:
            img = img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        x = img  # stays a Pillow image through geometric ops, becomes an array at the first colour op
        if self.auto_augment != "none":
            x = POLICIES[self.auto_augment](img, rng)
        elif self.hsv_h or self.hsv_s or self.hsv_v:
            x = hsv_jitter(as_array(img), rng, self.hsv_h, self.hsv_s, self.hsv_v)
        out = np.array(x, dtype=np.uint8)  # a writable, contiguous copy
        if self.erasing > 0 and rng.random() < self.erasing:
            random_erase(out, rng)
        return out

    @classmethod
    def from_args(cls, imgsz: int, args: dict) -> TrainTransform:
        keys = ("scale", "fliplr", "flipud", "auto_augment", "hsv_h", "hsv_s", "hsv_v", "erasing")
        return cls(imgsz=int(imgsz), **{k: args[k] for k in keys if k in args and args[k] is not None})
