"""Training and validation plots: results.png, confusion_matrix.png, train_batch0.jpg (matplotlib/Pillow).

Every file is written to a temp name and renamed, so a crash never leaves half an image.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .._io import write_with


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_confusion_matrix(cm: np.ndarray, names: dict[int, str], path: Path, normalize: bool = True) -> Path:
    """Rows: true class, columns: predicted class; each row normalised to sum 1."""
    plt = _pyplot()
    cm = np.asarray(cm, dtype=np.float64)
    m = cm / np.maximum(cm.sum(1, keepdims=True), 1) if normalize else cm
    nc = len(cm)
    labels = [str(names.get(i, i)) for i in range(nc)] if nc <= 30 else []
    longest = min(40, max((len(s) for s in labels), default=2))
    rotate = nc > 10 or longest > 3
    # margins sized from the longest class name (~0.075 inch a character at 10 pt) instead of tight_layout,
    # whose extra layout pass doubles the time to write the figure
    size = min(16, max(5, nc * 0.45))
    left, bottom = 0.7 + 0.075 * longest, 0.7 + (0.075 * longest if rotate else 0.2)
    width, height = size + 1.3 + left, size + bottom
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - 0.6 / width, bottom=bottom / height, top=1 - 0.45 / height)
    im = ax.imshow(m, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046)
    if labels:
        ax.set_xticks(range(nc), labels, rotation=90 if rotate else 0)
        ax.set_yticks(range(nc), labels)
        for t in range(nc):
            for p in range(nc):
                if m[t, p] >= 0.005:
                    ax.text(p, t, f"{m[t, p]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if m[t, p] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix" + (" (normalised)" if normalize else ""))
    write_with(path, lambda p: fig.savefig(p, dpi=150))
    plt.close(fig)
    return Path(path)


def plot_results(csv_path: Path, path: Path) -> Path:
    """One panel per results.csv column (loss, top1, top5, val loss, lr) against epoch."""
    plt = _pyplot()
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return Path(path)
    keys = [k for k in rows[0] if k != "epoch"]
    x = [int(r["epoch"]) for r in rows]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3))
    fig.subplots_adjust(left=0.25 / len(keys), right=1 - 0.05 / len(keys), bottom=0.17, top=0.9, wspace=0.35)
    for ax, k in zip(np.atleast_1d(axes), keys, strict=True):
        y = [float(r[k]) if r[k] not in ("", "nan") else np.nan for r in rows]
        ax.plot(x, y, marker=".", linewidth=1.5)
        ax.set_title(k, fontsize=10)
        ax.set_xlabel("epoch")
    write_with(path, lambda p: fig.savefig(p, dpi=120))
    plt.close(fig)
    return Path(path)


def save_mosaic(imgs: np.ndarray, labels: np.ndarray, names: dict[int, str], path: Path, max_images: int = 16,
                tile: int = 128) -> Path:
    """A grid of uint8 NCHW training images (as augmented) with their class names: train_batch0.jpg."""
    n = min(len(imgs), max_images)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    canvas = Image.new("RGB", (cols * tile, rows * tile), (114, 114, 114))
    draw = ImageDraw.Draw(canvas)
    for k in range(n):
        im = Image.fromarray(np.ascontiguousarray(imgs[k].transpose(1, 2, 0))).resize((tile, tile), Image.NEAREST)
        x, y = (k % cols) * tile, (k // cols) * tile
        canvas.paste(im, (x, y))
        draw.rectangle((x, y, x + tile - 1, y + tile - 1), outline=(255, 255, 255))
        draw.text((x + 3, y + 2), str(names.get(int(labels[k]), int(labels[k]))), fill=(255, 255, 0))
    return write_with(path, lambda p: canvas.save(p, quality=90))
