"""Reading images: every common format and mode to RGB, EXIF orientation applied.

Also the in-memory kinds a user can hand to predict: NumPy arrays (HWC uint8, **RGB**) and PIL images.

Huge images: one with more than `yolocls.limits.max_pixels()` pixels (YOLOCLS_MAX_PIXELS) is refused with a
SourceError naming it and the limit (Pillow's own DecompressionBombWarning is replaced by that limit). One with
more than LARGE_PIXELS is decoded once, then reduced by a whole factor (`Image.reduce`) before anything else
touches it, when a target size is known; a dataset keeps such images decoded at working size (see datasets.py).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import SourceError

# EXIF orientations that rotate by 90 degrees (the stored width and height swap on display).
_TRANSPOSED = {5, 6, 7, 8}
LARGE_PIXELS = 50_000_000  # beyond any camera photo of a usual dataset: decoded reduced, kept decoded once
# yolocls enforces its own pixel limit (a clear error naming the file), so Pillow's warning below it is noise
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def pixel_problem(size: tuple[int, int]) -> str | None:
    """Why an image of `size` (w, h) is refused (over the pixel limit), or None."""
    from ..limits import MAX_PIXELS, max_pixels

    limit = max_pixels()
    if size[0] * size[1] > limit:
        return (f"{size[0]}x{size[1]} = {size[0] * size[1]:,} pixels, over the limit of {limit:,} (set "
                f"{MAX_PIXELS[0]} to allow larger images)")
    return None


def open_limited(src: str | Path | io.BytesIO, name: str) -> Image.Image:
    """Image.open with yolocls' pixel limit in place of Pillow's (which refuses at twice its MAX_IMAGE_PIXELS)."""
    from ..limits import MAX_PIXELS, max_pixels

    limit = max_pixels()
    if Image.MAX_IMAGE_PIXELS is not None and 2 * Image.MAX_IMAGE_PIXELS < limit:
        Image.MAX_IMAGE_PIXELS = limit // 2 + 1  # YOLOCLS_MAX_PIXELS was set above Pillow's own limit
    try:
        img = Image.open(src)
    except Image.DecompressionBombError as e:
        raise SourceError(f"image '{name}' is over the pixel limit of {limit:,} ({e}); set {MAX_PIXELS[0]} to allow "
                          f"larger images") from None
    problem = pixel_problem(img.size)
    if problem:
        img.close()
        raise SourceError(f"image '{name}' is refused: {problem}")
    return img


def to_rgb(img: Image.Image) -> Image.Image:
    """Grayscale, palette, RGBA (on black), CMYK and 16-bit images -> 8-bit RGB."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        a = (a / (65535.0 if a.max() > 255 else 255.0) * 255.0).clip(0, 255).astype(np.uint8)
        return Image.fromarray(a).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        bg = Image.new("RGB", img.size)
        bg.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        return bg
    return img.convert("RGB")


def open_image(src: str | Path | bytes, target: int | None = None) -> tuple[Image.Image, tuple[int, int]]:
    """Decode a file (path) or an encoded image (bytes) -> (RGB image, original (height, width) as displayed).

    `target`: the size the image will be resized to. JPEGs at least twice that size are decoded at a reduced
    DCT scale (Pillow draft mode: several times faster, and nothing is lost at the target size); the returned
    image is then smaller than the original, whose size the second value still gives.
    """
    name = "<bytes>" if isinstance(src, (bytes, bytearray, memoryview)) else str(src)
    try:
        img = open_limited(io.BytesIO(src) if name == "<bytes>" else src, name)
        w, h = img.size
        if (img.getexif().get(0x0112) or 1) in _TRANSPOSED:
            w, h = h, w
        if target and img.format == "JPEG":
            # draft() picks the smallest DCT scale whose result is >= the size asked, so the shorter side stays
            # >= target and the shared resize_crop() still only ever shrinks.
            s = target / min(w, h)
            if s < 0.5:
                sw, sh = img.size
                img.draft("RGB", (int(sw * s) + 1, int(sh * s) + 1))
        elif target and w * h > LARGE_PIXELS and min(w, h) >= 2 * target:
            # No reduced decode outside JPEG: decode once, then shrink by a whole factor at once, before the
            # orientation and mode conversions copy the full-size image (peak memory: one full decode).
            if img.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
                img = to_rgb(img)  # reduce() takes no palette or bit images
            img = img.reduce(min(w, h) // target)
        img = ImageOps.exif_transpose(img)
        return to_rgb(img), (h, w)
    except FileNotFoundError:
        raise SourceError(f"image '{name}' does not exist") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise SourceError(f"cannot read image '{name}': {e}") from None


def load_image(path: str | Path, target: int | None = None) -> Image.Image:
    """Open `path` as an RGB image with EXIF orientation applied (see `open_image` for `target`)."""
    return open_image(path, target)[0]


def check_array(a: np.ndarray, what: str = "array") -> np.ndarray:
    """Validate a NumPy image (HW, or HWC with C = 1, 3 or 4, uint8) and return it as HW or HWC3/HWC4."""
    if not isinstance(a, np.ndarray):
        raise SourceError(f"{what} is a {type(a).__name__}, expected a NumPy array")
    if a.dtype != np.uint8:
        raise SourceError(f"{what} has dtype {a.dtype}; NumPy sources must be uint8 HWC RGB in 0..255. Convert "
                          f"with (a * 255).round().astype(np.uint8), or pass a torch tensor for float BCHW in 0..1")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))) or min(a.shape[:2]) < 1:
        raise SourceError(f"{what} has shape {a.shape}; expected HxWx3 (RGB), HxWx4 (RGBA), HxWx1 or HxW uint8. "
                          f"A channels-first CxHxW array needs a.transpose(1, 2, 0)")
    return a


def array_to_image(a: np.ndarray, what: str = "array") -> Image.Image:
    """A NumPy image -> RGB PIL image. Takes HW (grayscale), HWC with C = 1, 3 (**RGB order**) or 4 (RGBA), uint8.

    OpenCV arrays are BGR: pass `frame[..., ::-1]` (or `cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)`).
    """
    a = np.ascontiguousarray(check_array(a, what))
    if a.ndim == 2:
        return Image.fromarray(a).convert("RGB")
    return to_rgb(Image.fromarray(a))
