"""A tiny digits ImageFolder (12 train / 4 val images per class) for fast training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from yolocls.data.digits import digits_arrays

    images, labels = digits_arrays()
    root = tmp_path_factory.mktemp("tiny_digits")
    for c in range(10):
        idx = [i for i in range(len(labels)) if labels[i] == c][:16]
        for k, i in enumerate(idx):
            split = "train" if k < 12 else "val"
            (root / split / str(c)).mkdir(parents=True, exist_ok=True)
            Image.fromarray(images[i]).save(root / split / str(c) / f"{i:04d}.png")
    return root
