"""Named public datasets: download with a progress bar, check the archive, extract, rename into place.

The names and URLs are those of the Ultralytics classification dataset guide
(`https://github.com/ultralytics/assets/releases/download/v0.0.0/<name>.zip`). The archive is fetched into a
temp folder beside the destination (retried with backoff on a network error or a 5xx answer:
YOLOCLS_DOWNLOAD_RETRIES), tested (zip CRC of every member), checked against the free space (its declared size
before the download, the total size of its members before extracting: a zip bomb or a wrong mirror must not
fill the disk), extracted there, and only then renamed onto `<datasets>/<name>` in one `os.replace`, so an
interrupted download never leaves a half dataset that looks whole. Set `YOLOCLS_DATASETS_URL` to serve the
archives from a mirror.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from .._download import TIMEOUT_S, fetch
from .._io import as_disk_full, move_into_place, require_space, temp_folder
from ..errors import DatasetError

NAMED_DATASETS = ("mnist160", "mnist", "fashion-mnist", "cifar10", "cifar100", "imagenette", "imagenette160",
                  "imagenette320", "imagewoof", "imagewoof160", "imagewoof320", "imagenet10", "caltech101",
                  "caltech256")
DEFAULT_BASE_URL = "https://github.com/ultralytics/assets/releases/download/v0.0.0"


def dataset_url(name: str) -> str:
    base = os.environ.get("YOLOCLS_DATASETS_URL", DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/{name}.zip"


def _manual_hint(url: str, dest: Path) -> str:
    return (f"To place the data by hand: download {url} on a machine with internet access and unzip it so that "
            f"'{dest}/train/<class>/<image>' exists (or pass data=<your ImageFolder path>)")


def check_zip(path: Path, url: str) -> None:
    """Raise DatasetError unless `path` is a complete zip whose every member passes its CRC check."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise DatasetError(f"the archive downloaded from {url} is corrupt or truncated ({e})") from None
    if bad is not None:
        raise DatasetError(f"the archive downloaded from {url} is corrupt: member '{bad}' fails its CRC check")


def _dataset_root(extracted: Path) -> Path:
    """The folder holding train/ inside an extracted archive: the archive root or its single top folder."""
    if (extracted / "train").is_dir():
        return extracted
    subs = [p for p in extracted.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))]
    for p in subs:
        if (p / "train").is_dir():
            return p
    return extracted


def download_dataset(name: str, dest: Path, url: str | None = None, timeout: float = TIMEOUT_S) -> Path:
    """Download the named dataset into `dest` (atomically). Returns `dest`."""
    url = url or dataset_url(name)
    dest = Path(dest)
    if (dest / "train").is_dir():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    print(f"Dataset '{name}' not found at {dest}; downloading {url} ...")
    tmp = temp_folder(dest)
    try:
        archive = fetch(url, tmp / f"{name}.zip", timeout=timeout, desc=f"{name}.zip", error=DatasetError)
        check_zip(archive, url)
        out = tmp / "extracted"
        with zipfile.ZipFile(archive) as z:
            unpacked = sum(i.file_size for i in z.infolist())
            require_space(tmp, unpacked, what=f"the dataset '{name}' unpacked from {url}",
                          largest=max((i.file_size for i in z.infolist()), default=0))
            try:
                z.extractall(out)
            except OSError as e:
                full = as_disk_full(e, tmp, unpacked)
                if full is None:
                    raise
                raise full from None
        archive.unlink()
        root = _dataset_root(out)
        if not (root / "train").is_dir():
            raise DatasetError(f"the archive from {url} has no 'train/' folder, so it is not a classification "
                               f"ImageFolder dataset")
        if not move_into_place(root, dest, replace=False) and not (dest / "train").is_dir():
            raise DatasetError(f"'{dest}' appeared while downloading but holds no 'train/' folder; remove it")
    except DatasetError as e:
        raise DatasetError(f"{e}. {_manual_hint(url, dest)}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"Dataset '{name}' saved to {dest}")
    return dest
