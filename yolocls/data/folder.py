"""ImageFolder datasets: `root/{train,val,test}/<class>/<image>`, class names = sorted folder names."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DatasetError

IMG_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def datasets_dir() -> Path:
    """Where named datasets live: $YOLOCLS_DATASETS, else ./datasets."""
    return Path(os.environ.get("YOLOCLS_DATASETS", "datasets")).expanduser()


def resolve_data(data: str | Path) -> Path:
    """`digits`, a dataset folder, or (with the data module's downloader) a named dataset -> its root folder."""
    s = str(data)
    if s == "digits":
        from .digits import write_digits

        return write_digits(datasets_dir() / "digits")
    p = Path(s).expanduser()
    if p.is_dir():
        return p
    raise DatasetError(f"dataset '{data}' not found: give an ImageFolder path (root/train/<class>/...), or 'digits'")


def split_dir(root: Path, split: str) -> Path:
    """The folder of `split`; `val` falls back to `test` when absent."""
    d = root / split
    if d.is_dir():
        return d
    if split == "val" and (root / "test").is_dir():
        return root / "test"
    raise DatasetError(f"dataset '{root}' has no '{split}' split; expected folder {d}")


def list_split(root: Path, split: str) -> tuple[list[Path], list[int], dict[int, str]]:
    """(image paths, class indices, {index: name}) of one split, sorted by class then file name."""
    d = split_dir(root, split)
    classes = sorted(p.name for p in d.iterdir() if p.is_dir())
    if not classes:
        raise DatasetError(f"split folder '{d}' has no class folders (expected {d}/<class>/<image>)")
    paths, labels = [], []
    for i, c in enumerate(classes):
        files = sorted(f for f in (d / c).iterdir() if f.suffix.lower() in IMG_SUFFIXES)
        if not files:
            raise DatasetError(f"class folder '{d / c}' has no images; add images or remove the folder")
        paths += files
        labels += [i] * len(files)
    return paths, labels, dict(enumerate(classes))
