"""Image makers for prediction tests."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def on_canvas(path: Path, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """The 32x32 digit upscaled to the canvas height and centred on black (digits are white on black): after the
    shared resize-shorter-side + centre-crop it is the digit again, at any canvas size."""
    w, h = size
    digit = Image.open(path).convert("RGB").resize((h, h), Image.BILINEAR)
    canvas = Image.new("RGB", (w, h))
    canvas.paste(digit, ((w - h) // 2, 0))
    return canvas
