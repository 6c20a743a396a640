"""Small ImageFolder datasets written per test (fast to scan and train on)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_folder(root: Path, per_class: dict[str, int], split: str = "train", size: int = 16, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for c, n in per_class.items():
        d = root / split / c
        d.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(d / f"{i:03d}.png")
    return root


@pytest.fixture
def small_root(tmp_path: Path) -> Path:
    """root/{train,val}/{a,b,c}: 6 train and 2 val random PNGs per class."""
    root = write_folder(tmp_path / "small", {"a": 6, "b": 6, "c": 6})
    return write_folder(root, {"a": 2, "b": 2, "c": 2}, split="val")
