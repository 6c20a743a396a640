"""Scan one split of an ImageFolder dataset: every image decoded once, the verdict cached.

Corrupt, truncated, zero-byte and non-image files, and images over the pixel limit (YOLOCLS_MAX_PIXELS), are
skipped with ONE warning that counts them and names the first few. A class folder left with no readable image, or
a split with no images, is an error. Images over LARGE_PIXELS are listed in `SplitScan.large` (the datasets keep
them decoded at working size) and named in one note. The verdicts are cached in `<root>/<split>.cache` (JSON,
keyed by every file's name, size and mtime), so a second scan only lists the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DatasetError
from .folder import IMG_SUFFIXES, split_dir
from .images import LARGE_PIXELS

CACHE_VERSION = 2
IGNORED_SUFFIXES = (".npy", ".cache")  # our own disk caches
SHOW_FIRST = 5


@dataclass
class SplitScan:
    """The verified images of one split: `paths[i]` has class index `labels[i]` (a key of `names`)."""

    folder: Path
    names: dict[int, str]
    paths: list[Path] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)
    large: dict[Path, tuple[int, int]] = field(default_factory=dict)  # images over LARGE_PIXELS: (width, height)

    def __len__(self) -> int:
        return len(self.paths)


def verify_image(path: Path) -> str | None:
    """None if `path` decodes as an image, else the reason it does not."""
    return inspect_image(path)[0]


def inspect_image(path: Path) -> tuple[str | None, tuple[int, int] | None]:
    """(None, (width, height)) if `path` decodes as an image, else (the reason it does not, None)."""
    if path.suffix.lower() not in IMG_SUFFIXES:
        return f"not an image file ({path.suffix or 'no suffix'})", None
    try:
        if path.stat().st_size == 0:
            return "zero-byte file", None
        from ..errors import SourceError
        from .images import open_limited

        try:
            im = open_limited(path, str(path))
        except SourceError as e:  # over the pixel limit: the reason without the path the summary shows anyway
            return str(e).split(" is refused: ", 1)[-1], None
        with im:
            im.load()  # a full decode: verify() alone misses truncated JPEG/BMP/TIFF
            if min(im.size) < 2:
                return f"image too small ({im.size[0]}x{im.size[1]})", None
            return None, im.size
    except Exception as e:  # noqa: BLE001 - any decoder failure means "skip this file"
        return (f"{type(e).__name__}: {str(e)[:80]}" if str(e) else type(e).__name__), None


def _listing(folder: Path, classes: list[str]) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of every candidate file in the class folders."""
    out = []
    for c in classes:
        with os.scandir(folder / c) as it:
            for e in it:
                if e.name.startswith(".") or not e.is_file() or e.name.lower().endswith(IGNORED_SUFFIXES):
                    continue
                st = e.stat()
                out.append((f"{c}/{e.name}", st.st_size, st.st_mtime_ns))
    out.sort()
    return out


def _cache_path(folder: Path) -> Path:
    return folder.parent / f"{folder.name}.cache"


def _load_cache(path: Path, key: str) -> tuple[dict[str, str | None], dict[str, list[int]]] | None:
    try:
        c = json.loads(path.read_text())
        if c.get("version") == CACHE_VERSION and c.get("hash") == key:
            return dict(c["verdicts"]), dict(c.get("large") or {})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _save_cache(path: Path, key: str, verdicts: dict[str, str | None], large: dict[str, list[int]]) -> None:
    """Best effort: a read-only dataset folder (or a full disk) simply goes uncached."""
    from .._io import write_text

    try:
        write_text(path, json.dumps({"version": CACHE_VERSION, "hash": key, "verdicts": verdicts, "large": large}))
    except OSError:
        pass


def scan_split(root: str | Path, split: str, names: dict[int, str] | None = None, workers: int | None = None,
               cache: bool = True, warn: bool = True) -> SplitScan:
    """Verify every image of `root/split` (val falls back to test) and return the readable ones.

    `names`: the class index of each folder name (e.g. the train split's, or a model's); a folder whose name is
    not among them is an error. Default: the split's own sorted folder names.
    """
    root = Path(root)
    folder = split_dir(root, split)
    if split == "val" and folder.name == "test":
        print(f"note: dataset '{root}' has no 'val' split; using 'test' for validation")
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(f"split '{folder}' has no class folders (expected {folder}/<class>/<image>)")
    if names is None:
        names = dict(enumerate(classes))
    index = {v: k for k, v in names.items()}
    unknown = [c for c in classes if c not in index]
    if unknown:
        raise DatasetError(f"split '{folder}' has class folders {unknown[:5]} that are not among the "
                           f"{len(names)} classes expected ({', '.join(list(index)[:10])}...)")
    files = _listing(folder, classes)
    key = hashlib.sha256(json.dumps(files).encode()).hexdigest()
    cached = _load_cache(_cache_path(folder), key) if cache else None
    if cached is not None:
        verdicts, large = cached
    else:
        from tqdm import tqdm

        rels = [f[0] for f in files]
        n = workers or min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(n) as ex:  # Pillow decodes without the GIL
            it = ex.map(lambda r: inspect_image(folder / r), rels, chunksize=64)
            results = list(tqdm(it, total=len(rels), desc=f"scanning {folder}", leave=False,
                                disable=len(rels) < 2000, mininterval=1.0))
        verdicts = {r: why for r, (why, _) in zip(rels, results, strict=True)}
        large = {r: list(size) for r, (_, size) in zip(rels, results, strict=True)
                 if size and size[0] * size[1] > LARGE_PIXELS}
        if cache:
            _save_cache(_cache_path(folder), key, verdicts, large)
    scan = SplitScan(folder=folder, names=dict(names), large={folder / r: (w, h) for r, (w, h) in large.items()})
    counts = dict.fromkeys(classes, 0)
    for rel, why in verdicts.items():
        c = rel.split("/", 1)[0]
        if why is None:
            scan.paths.append(folder / rel)
            scan.labels.append(index[c])
            counts[c] += 1
        else:
            scan.skipped.append((rel, why))
    empty = [c for c, n in counts.items() if n == 0]
    if empty:
        raise DatasetError(f"class folder '{folder / empty[0]}' has no readable images"
                           + (f" (nor do {len(empty) - 1} other class folders)" if len(empty) > 1 else "")
                           + "; add images or remove the folder")
    if not scan.paths:
        raise DatasetError(f"split '{folder}' has no images")
    if scan.large and warn:
        first = ", ".join(f"{p.relative_to(folder)} ({w}x{h})" for p, (w, h) in list(scan.large.items())[:SHOW_FIRST])
        print(f"note: {folder}: {len(scan.large)} image(s) over {LARGE_PIXELS / 1e6:g} MP ({first}) are decoded "
              f"once, reduced to working size, and kept decoded")
    if scan.skipped and warn:
        first = ", ".join(f"{r} ({why})" for r, why in scan.skipped[:SHOW_FIRST])
        more = f" and {len(scan.skipped) - SHOW_FIRST} more" if len(scan.skipped) > SHOW_FIRST else ""
        warnings.warn(f"{folder}: skipped {len(scan.skipped)} unreadable file(s) (corrupt, truncated, zero-byte or "
                      f"not an image): {first}{more}", stacklevel=2)
    return scan
