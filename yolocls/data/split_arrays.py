"""A dataset split as one preprocessed array: for calibration, block comparisons and quick top-1 checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .folder import list_split, resolve_data
from .preprocess import preprocess


def spread(n_total: int, n: int) -> np.ndarray:
    """`n` indices spread evenly over `n_total` (a class-sorted list: every class is drawn from)."""
    return np.linspace(0, n_total - 1, max(1, min(n, n_total))).round().astype(int)


def split_arrays(data: str | Path, imgsz: int, split: str = "val", limit: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """(NCHW float32 images, class indices, names) of a split of `data`, preprocessed by the one shared
    function; at most `limit` images, spread evenly over the classes."""
    paths, labels, names = list_split(resolve_data(data), split)
    idx = spread(len(paths), limit) if limit else np.arange(len(paths))
    x = np.stack([preprocess(Image.open(paths[i]).convert("RGB"), imgsz) for i in idx])
    return x, np.asarray(labels)[idx], names
