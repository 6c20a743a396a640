"""Classification datasets as plain NumPy (no torch): verified images of one split, optionally cached.

`TrainImages.load(i)` gives the decoded image at its working resolution (shorter side at most 2 x imgsz: no
random crop of area >= 1/2 ever needs more), `EvalImages.load(i)` the image after the evaluation resize and
centre crop (uint8 imgsz x imgsz). `cache='ram'` keeps those arrays in memory, `cache='disk'` in `.npy` files
beside the images; both give exactly the arrays an uncached load gives.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .._io import write_with
from ..errors import ConfigError
from .folder import class_names, resolve_data
from .images import load_image
from .preprocess import resize_crop
from .scan import scan_split


@dataclass(frozen=True)
class DatasetInfo:
    """A resolved dataset: its root folder, class names (from the train split), the `data=` value to record, and
    the training defaults the dataset asks for in `<root>/dataset.yaml` (`train_defaults:`)."""

    root: Path
    names: dict[int, str]
    spec: str
    train_defaults: dict[str, Any] = field(default_factory=dict)


def read_train_defaults(root: Path) -> dict[str, Any]:
    """`train_defaults:` of `<root>/dataset.yaml` (e.g. fliplr: 0.0 for digits), or {}."""
    import yaml

    p = Path(root) / "dataset.yaml"
    try:
        cfg = yaml.safe_load(p.read_text()) if p.is_file() else None
    except (OSError, yaml.YAMLError):
        return {}
    d = cfg.get("train_defaults") if isinstance(cfg, dict) else None
    return dict(d) if isinstance(d, dict) else {}


def dataset_info(data: str | Path, split: str = "train") -> DatasetInfo:
    """Resolve `data=` and read its class names. `spec` is what checkpoints record: the name for `digits`
    and named datasets (portable), the absolute folder for paths."""
    root = resolve_data(data)
    s = str(data)
    p = Path(s).expanduser()
    spec = s if (not p.exists() and "/" not in s and os.sep not in s) else str(root.resolve())
    return DatasetInfo(root=root, names=dict(enumerate(class_names(root, split))), spec=spec,
                       train_defaults=read_train_defaults(root))


def parse_cache(cache: Any) -> str | None:
    """`cache=` -> 'ram', 'disk' or None."""
    if cache is None or cache is False or str(cache).lower() in ("false", "none", "0", ""):
        return None
    if cache is True or str(cache).lower() in ("true", "ram", "1"):
        return "ram"
    if str(cache).lower() == "disk":
        return "disk"
    raise ConfigError(f"cache={cache!r} is not valid: use cache=ram, cache=disk or cache=False")


def stratified_fraction(labels: list[int], fraction: float, seed: int = 0) -> list[int]:
    """Indices of a deterministic, per-class `fraction` of the samples (at least one per class), sorted."""
    if not 0.0 < fraction <= 1.0:
        raise ConfigError(f"fraction={fraction} must be in (0, 1]")
    if fraction >= 1.0:
        return list(range(len(labels)))
    lab = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(lab):
        idx = rng.permutation(np.flatnonzero(lab == c))
        keep.extend(idx[: max(1, int(round(len(idx) * fraction)))].tolist())
    return sorted(keep)


KEEP_BYTES = 256 << 20  # at most this much of huge images kept decoded at working size (per process)


class _CachedImages:
    """Shared machinery: scan, fraction, and the ram/disk cache around `_decode(path)`."""

    tag = "img"

    def __init__(self, root: str | Path, split: str, imgsz: int, names: dict[int, str] | None = None,
                 cache: Any = False, fraction: float = 1.0, seed: int = 0, workers: int | None = None):
        scan = scan_split(root, split, names=names, workers=workers)
        keep = stratified_fraction(scan.labels, fraction, seed)
        self.folder = scan.folder
        self.names = scan.names
        self.skipped = scan.skipped
        self.large = set(scan.large)  # decoded once, at working size, into _kept
        self._kept: dict[Path, np.ndarray] = {}
        self.paths = [scan.paths[i] for i in keep]
        self.labels = np.asarray([scan.labels[i] for i in keep], dtype=np.int64)
        self.imgsz = int(imgsz)
        self.cache = parse_cache(cache)
        self._ram: list[np.ndarray] | None = None
        if self.cache == "ram":
            self._fill_ram(workers)
        elif self.cache == "disk":
            self._fill_disk(workers)

    def __len__(self) -> int:
        return len(self.paths)

    def _decode(self, path: Path) -> np.ndarray:
        raise NotImplementedError

    def _npy(self, path: Path) -> Path:
        return path.with_name(f"{path.name}.{self.tag}{self.imgsz}.npy")

    def load(self, i: int) -> np.ndarray:
        """Image `i` as a uint8 HWC RGB array."""
        if self._ram is not None:
            return self._ram[i]
        path = self.paths[i]
        if path in self._kept:
            return self._kept[path]
        if self.cache == "disk":
            npy = self._npy(path)
            try:
                return np.load(npy)
            except (OSError, ValueError):
                pass
        a = self._decode(path)
        if path in self.large and sum(k.nbytes for k in self._kept.values()) + a.nbytes <= KEEP_BYTES:
            self._kept[path] = a  # a huge image is decoded once, not every epoch (arrays are never written to)
        return a

    def _map(self, fn: Any, workers: int | None, desc: str) -> list[Any]:
        """[fn(path) for path in self.paths] on a thread pool, in chunks of 64 paths: one task per image costs
        as much as decoding a small PNG (ThreadPoolExecutor.map ignores its chunksize)."""
        from tqdm import tqdm

        n = workers or min(8, os.cpu_count() or 1)
        chunks = [self.paths[i:i + 64] for i in range(0, len(self.paths), 64)]
        out: list[Any] = []
        with ThreadPoolExecutor(max(1, n)) as ex, tqdm(total=len(self.paths), desc=desc, leave=False,
                                                      disable=len(self.paths) < 2000, mininterval=1.0) as bar:
            for part in ex.map(lambda chunk: [fn(p) for p in chunk], chunks):
                out.extend(part)
                bar.update(len(part))
        return out

    def _fill_ram(self, workers: int | None) -> None:
        import psutil

        probe = [self._decode(p) for p in self.paths[:32]]
        need = sum(a.nbytes for a in probe) / len(probe) * len(self.paths)
        avail = psutil.virtual_memory().available
        if need > 0.6 * avail:
            warnings.warn(f"cache=ram needs ~{need / 2**30:.1f} GiB for {len(self.paths)} images of {self.folder} "
                          f"but only {avail / 2**30:.1f} GiB is free; not caching (use cache=disk)", stacklevel=3)
            self.cache = None
            return
        self._ram = self._map(self._decode, workers, f"caching {self.folder} in RAM")

    def _fill_disk(self, workers: int | None) -> None:
        def one(path: Path) -> bool:
            npy = self._npy(path)
            if npy.is_file():
                return True
            try:
                write_with(npy, lambda tmp: np.save(tmp, self._decode(path)))
                return True
            except OSError:
                return False

        ok = self._map(one, workers, f"caching {self.folder} to disk")
        if not all(ok):
            warnings.warn(f"cache=disk could not write .npy files beside the images of {self.folder} (read-only?); "
                          f"those images are decoded on every use", stacklevel=3)


class TrainImages(_CachedImages):
    """Training images at working resolution (shorter side capped at 2 x imgsz), before augmentation."""

    tag = "train"

    def _decode(self, path: Path) -> np.ndarray:
        cap = 2 * self.imgsz
        img = load_image(path, target=cap)
        w, h = img.size
        if min(w, h) > cap:
            s = cap / min(w, h)
            img = img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR)
        return np.asarray(img, dtype=np.uint8)


class EvalImages(_CachedImages):
    """Evaluation images after the shared resize + centre crop (uint8 imgsz x imgsz x 3)."""

    tag = "eval"

    def _decode(self, path: Path) -> np.ndarray:
        return np.asarray(resize_crop(load_image(path, target=self.imgsz), self.imgsz), dtype=np.uint8)
