"""Drawing labels onto an image with Pillow (the top-5 block of `Results.plot()`)."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled scalable font (needs FreeType)
    except (ImportError, OSError, TypeError):
        return ImageFont.load_default()


def draw_text_block(img: Image.Image, lines: list[str], font_size: int | None = None) -> Image.Image:
    """A copy of `img` (RGB) with `lines` in white on a translucent dark box in the top-left corner; the first
    line is highlighted. The font scales with the image and shrinks until the block fits inside it."""
    img = img.convert("RGB") if img.mode != "RGB" else img.copy()
    w, h = img.size
    if not lines:
        return img
    size = font_size or max(8, min(64, round(0.05 * max(w, h))))
    draw = ImageDraw.Draw(img, "RGBA")
    while True:  # shrink until the block fits (tiny images get a tiny, but complete, block)
        font, pad = _font(size), max(1, size // 3)
        line_h = round(size * 1.2)
        text_w = max(draw.textlength(s, font=font) for s in lines)
        if size <= 4 or (text_w + 3 * pad <= w and len(lines) * line_h + 3 * pad <= h):
            break
        size = max(4, min(size - 1, int(size * 0.85)))
    draw.rectangle((pad, pad, pad + text_w + pad, pad + len(lines) * line_h + pad), fill=(0, 0, 0, 150))
    for i, s in enumerate(lines):
        color = (255, 221, 51) if i == 0 else (255, 255, 255)
        draw.text((pad + pad // 2, pad + pad // 2 + i * line_h), s, font=font, fill=color)
    return img
