"""Reading images: every common format and mode to RGB, EXIF orientation applied."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from ..errors import SourceError


def to_rgb(img: Image.Image) -> Image.Image:
    """Grayscale, palette, RGBA (on black), CMYK and 16-bit images -> 8-bit RGB."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        import numpy as np

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


def load_image(path: str | Path, target: int | None = None) -> Image.Image:
    """Open `path` as an RGB image with EXIF orientation applied.

    `target`: the size the image will be resized to; JPEGs much larger than that are decoded at a reduced
    scale (Pillow draft mode), which is several times faster and loses nothing at the target size.
    """
    try:
        img = Image.open(path)
        if target and img.format == "JPEG":
            # draft() picks a DCT scale >= the requested size, so the shorter side stays >= target.
            w, h = img.size
            s = target / min(w, h)
            if s < 0.5:
                img.draft("RGB", (int(w * s) + 1, int(h * s) + 1))
        img = ImageOps.exif_transpose(img)
        return to_rgb(img)
    except FileNotFoundError:
        raise SourceError(f"image '{path}' does not exist") from None
    except OSError as e:
        raise SourceError(f"cannot read image '{path}': {e}") from None
