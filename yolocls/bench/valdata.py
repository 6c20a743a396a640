"""The val split, preprocessed once by the bench's own process and memory-mapped by every child."""

from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

E2E_IMAGES = 20  # image files (spread over the val split) for the end-to-end latency


def _reserved_memmap(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 .npy memory map whose blocks are allocated now. A memory map on a full disk (or over the file
    size limit) does not fail on write: the process dies of SIGBUS when it touches the page. So the space is
    checked, then reserved (posix_fallocate), and a shortfall is a DiskFullError naming the folder."""
    from .._io import as_disk_full, require_space

    nbytes = int(np.prod(shape)) * 4
    require_space(path.parent, nbytes, what="the preprocessed val split (set TMPDIR to a folder with more space)")
    try:
        x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
        if hasattr(os, "posix_fallocate"):
            with open(path, "r+b") as f:
                try:
                    os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size)
                except OSError as e:
                    if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                        raise
    except OSError as e:
        full = as_disk_full(e, path, nbytes)
        if full is None:
            raise
        path.unlink(missing_ok=True)
        raise full from None
    return x


def prepare_val(data: str, imgsz: int, nc: int, work: Path) -> dict[str, Any]:
    """Preprocess the val split once into work/val_x.npy (memory-mapped by every child) and val_y.npy."""
    from ..data.folder import list_split, resolve_data
    from ..data.images import load_image
    from ..data.preprocess import preprocess

    root = resolve_data(data)
    paths, labels, classes = list_split(root, "val")
    x = _reserved_memmap(work / "val_x.npy", (len(paths), 3, imgsz, imgsz))
    for i, p in enumerate(paths):
        x[i] = preprocess(load_image(p, target=imgsz), imgsz)
    x.flush()
    del x
    np.save(work / "val_y.npy", np.asarray(labels, dtype=np.int64))
    valid = len(classes) == nc
    if not valid:
        warnings.warn(f"dataset '{data}' has {len(classes)} classes but the model has {nc}: top1/top5 are not "
                      f"reported (parity still is); pass --data with the model's own dataset", stacklevel=3)
    idx = np.linspace(0, len(paths) - 1, min(E2E_IMAGES, len(paths))).round().astype(int)
    return {"root": str(root), "images": len(paths), "classes": len(classes), "labels_valid": valid,
            "files": [str(paths[i]) for i in idx]}
