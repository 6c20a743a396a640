"""Reading images: every common format and mode to RGB, EXIF orientation applied.

Also the in-memory kinds a user can hand to predict: NumPy arrays (HWC uint8, **RGB**) and PIL images.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import SourceError

# EXIF orientations that rotate by 90 degrees (the stored width and height swap on display).
_TRANSPOSED = {5, 6, 7, 8}


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
        img = Image.open(io.BytesIO(src) if name == "<bytes>" else src)
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
