"""ImageFolder datasets: `root/{train,val,test}/<class>/<image>`, class names = sorted folder names.

`resolve_data()` is the one entry point that turns any `data=` value into a dataset root folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DatasetError

IMG_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def datasets_dir() -> Path:
    """Where named datasets live: $YOLOCLS_DATASETS, else the `datasets_dir` setting (default ./datasets)."""
    from ..settings import datasets_dir as configured

    return configured()


def _from_yaml(path: Path) -> str:
    """The dataset a data YAML names (`path: <folder or dataset name>`, relative to the YAML's folder)."""
    import yaml

    try:
        cfg = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise DatasetError(f"cannot read data YAML '{path}': {e}") from None
    target = cfg.get("path") if isinstance(cfg, dict) else None
    if not target:
        raise DatasetError(f"data YAML '{path}' has no 'path:' key; write e.g. 'path: datasets/mydata' pointing at "
                           f"an ImageFolder root (root/train/<class>/<image>)")
    p = Path(str(target)).expanduser()
    if not p.is_absolute() and (path.parent / p).is_dir():
        return str(path.parent / p)
    return str(target)


def resolve_data(data: str | Path, download: bool = True) -> Path:
    """Any `data=` value -> its dataset root folder.

    Accepts: an ImageFolder path; a YAML naming one (`path:`); `digits` (written offline on first use); a named
    public dataset (`cifar10`, `imagenette160`... see yolocls.data.download.NAMED_DATASETS), downloaded on
    first use into the datasets folder ($YOLOCLS_DATASETS, else the `datasets_dir` setting); or the name of a folder there.
    """
    if data is None or str(data) == "":
        raise DatasetError("no dataset given: pass data=<ImageFolder path>, data=digits or a named dataset "
                           "such as data=cifar10")
    s = str(data)
    p = Path(s).expanduser()
    if p.suffix.lower() in (".yaml", ".yml"):
        if not p.is_file():
            raise DatasetError(f"data YAML '{p}' does not exist")
        return resolve_data(_from_yaml(p), download=download)
    if p.is_dir():
        return p
    if s == "digits":
        from .digits import write_digits

        return write_digits(datasets_dir() / "digits")
    from .download import NAMED_DATASETS, download_dataset

    local = datasets_dir() / s
    if local.is_dir() and os.sep not in s:
        return local
    if s in NAMED_DATASETS and download:
        return download_dataset(s, local)
    raise DatasetError(f"dataset '{data}' not found: give an ImageFolder path (root/train/<class>/<image>), a data "
                       f"YAML with 'path:', 'digits', or one of: {', '.join(NAMED_DATASETS)}")


def split_dir(root: Path, split: str) -> Path:
    """The folder of `split`; `val` falls back to `test` when absent."""
    d = Path(root) / split
    if d.is_dir():
        return d
    if split == "val" and (Path(root) / "test").is_dir():
        return Path(root) / "test"
    raise DatasetError(f"dataset '{root}' has no '{split}' split; expected folder {d}")


def class_names(root: Path, split: str = "train") -> list[str]:
    """Sorted class folder names of a split."""
    d = split_dir(root, split)
    classes = sorted(p.name for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"split folder '{d}' has no class folders (expected {d}/<class>/<image>)")
    return classes


def list_split(root: Path, split: str) -> tuple[list[Path], list[int], dict[int, str]]:
    """(image paths, class indices, {index: name}) of one split, sorted by class then file name.

    A quick listing by file suffix; `yolocls.data.scan.scan_split` also verifies every image.
    """
    d = split_dir(root, split)
    classes = class_names(root, split)
    paths, labels = [], []
    for i, c in enumerate(classes):
        files = sorted(f for f in (d / c).iterdir() if f.suffix.lower() in IMG_SUFFIXES)
        if not files:
            raise DatasetError(f"class folder '{d / c}' has no images; add images or remove the folder")
        paths += files
        labels += [i] * len(files)
    return paths, labels, dict(enumerate(classes))
