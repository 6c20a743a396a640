"""The val split, preprocessed once by the bench's own process and memory-mapped by every child."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

E2E_IMAGES = 20  # image files (spread over the val split) for the end-to-end latency


def prepare_val(data: str, imgsz: int, nc: int, work: Path) -> dict[str, Any]:
    """Preprocess the val split once into work/val_x.npy (memory-mapped by every child) and val_y.npy."""
    from ..data.folder import list_split, resolve_data
    from ..data.images import load_image
    from ..data.preprocess import preprocess

    root = resolve_data(data)
    paths, labels, classes = list_split(root, "val")
    x = np.lib.format.open_memmap(work / "val_x.npy", mode="w+", dtype=np.float32,
                                  shape=(len(paths), 3, imgsz, imgsz))
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
