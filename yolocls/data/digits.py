"""The built-in offline dataset: scikit-learn's 1,797 real 8x8 handwritten digits as an ImageFolder.

Written once as 32x32 RGB PNGs (values 0..16 scaled to 0..255, white ink on black, nearest-neighbour upscale:
the same rendering as the Ultralytics fixture in shared/fixtures) with a deterministic, stratified 80/20
train/val split, then reused.
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from .._io import move_into_place, temp_folder, write_text

SIZE = 32
VAL_FRACTION = 0.2
SEED = 0


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 N x 32 x 32 x 3, labels int N) rendered from sklearn's digits (load_digits()' data)."""
    data = _digits_table()
    gray = np.round(data[:, :-1].reshape(-1, 8, 8) * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    gray = gray.repeat(SIZE // 8, axis=1).repeat(SIZE // 8, axis=2)
    return np.repeat(gray[..., None], 3, axis=3), data[:, -1].astype(np.int64)


@functools.lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    """The 1797 x 65 table (64 pixels 0..16, then the label) that load_digits() reads, read from the file
    scikit-learn ships, without importing sklearn: its import (scipy.stats, ~3 s) was most of an export's
    verification run, which takes one digit."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                table = np.loadtxt(f, delimiter=",")
            table.flags.writeable = False  # cached: shared by every caller
            return table
    from sklearn.datasets import load_digits  # a layout this does not know: sklearn's own loader

    d = load_digits()
    return np.column_stack([d.data, d.target])


def split_indices(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Deterministic stratified split: per class, a seeded permutation, the first 20% go to val."""
    rng = np.random.default_rng(SEED)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = int(round(len(idx) * VAL_FRACTION))
        val.extend(idx[:n_val])
        train.extend(idx[n_val:])
    return {"train": np.sort(np.array(train)), "val": np.sort(np.array(val))}


# Training defaults this dataset asks for (explicit arguments still win): a mirrored digit is another glyph or
# none, so horizontal flips only teach the model wrong examples.
# The decoded dataset is ~4 MB, so it is kept in RAM rather than decoded from PNG again every epoch.
YAML_HEADER = "# yolocls dataset notes for the built-in digits dataset"
DATASET_YAML = f"""{YAML_HEADER}
train_defaults:
  fliplr: 0.0  # digits are not mirror-symmetric
  cache: ram  # 1,797 images of 32x32: 4 MB decoded
"""


def write_digits(root: str | Path) -> Path:
    """Write the digits ImageFolder to `root` (atomically: a temp folder renamed into place). Reused if present."""
    root = Path(root)
    if (root / "train").is_dir() and (root / "val").is_dir():
        notes = root / "dataset.yaml"
        old = notes.read_text() if notes.is_file() else None
        if old is None or (old != DATASET_YAML and old.startswith(YAML_HEADER)):  # written by an older yolocls
            write_text(notes, DATASET_YAML)
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    images, labels = digits_arrays()
    tmp = temp_folder(root)
    try:
        for split, idx in split_indices(labels).items():
            for c in range(10):
                (tmp / split / str(c)).mkdir(parents=True, exist_ok=True)
            for i in idx:
                Image.fromarray(images[i]).save(tmp / split / str(labels[i]) / f"{i:04d}.png")
        (tmp / "dataset.yaml").write_text(DATASET_YAML)
        if not move_into_place(tmp, root, replace=False):  # another process won the race: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root
