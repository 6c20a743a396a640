"""Official weights by name: `YOLO("yolov8n-cls.pt")` finds the file in the working folder or the weights cache
(the `weights_dir` setting), else downloads Ultralytics' release asset into the cache once.

The names come from the model families yolocls builds (every `builtin_names()` YAML has its `.pt`); where they
are downloaded from, and any recorded checksum, from `weights.yaml` beside this module. The download is the
shared one (`yolocls._download`: progress bar, size and sha256 checks, atomic rename); the file must be a
complete zip before it takes its name, and it is then read like any checkpoint: Ultralytics' pickles through
the restricted importer, so nothing in the file runs.
"""

from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path
from typing import Any

import yaml

from .._download import TIMEOUT_S, fetch
from ..errors import CheckpointError
from .config import builtin_names

TABLE_FILE = Path(__file__).with_name("weights.yaml")
MIRROR_ENV = "YOLOCLS_WEIGHTS_URL"


@functools.lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    """weights.yaml: base `url`, default `release`, per-family `releases`, per-file `files` checksums."""
    return yaml.safe_load(TABLE_FILE.read_text())


def official_names() -> list[str]:
    """Every weights file name yolocls knows how to fetch: `<model>.pt` for each built-in model YAML."""
    return [f"{Path(n).stem}.pt" for n in builtin_names()]


def weights_url(name: str) -> str:
    """The URL of official weights `name`: `$YOLOCLS_WEIGHTS_URL/<name>` when a mirror is set, else the
    release asset (the family's release in `releases`, longest prefix first, else `release`)."""
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        return f"{mirror.rstrip('/')}/{name}"
    t = table()
    releases = t.get("releases") or {}
    prefix = max((p for p in releases if name.startswith(p)), key=len, default=None)
    return f"{t['url'].rstrip('/')}/{releases[prefix] if prefix else t['release']}/{name}"


def _check_zip(path: Path, url: str) -> None:
    """A checkpoint is a zip with a pickle in it: refuse anything else before it takes its name."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            has_pickle = any(n.endswith("data.pkl") for n in z.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise CheckpointError(f"the file downloaded from {url} is not a PyTorch checkpoint ({e})") from None
    if bad is not None or not has_pickle:
        why = f"member '{bad}' fails its CRC check" if bad else "it holds no data.pkl"
        raise CheckpointError(f"the file downloaded from {url} is not a complete PyTorch checkpoint: {why}")


def manual_hint(name: str, url: str, dest: Path) -> str:
    return (f"To place it by hand: download {url} on a machine with internet access and put it at {dest} "
            f"(or set ${MIRROR_ENV} to a mirror that serves {name}, or pass the file's path)")


def download_weights(name: str, dest_dir: str | Path | None = None, timeout: float = TIMEOUT_S,
                     url: str | None = None) -> Path:
    """Download official weights `name` into `dest_dir` (default: the weights cache); returns the file."""
    from ..settings import weights_dir

    if name not in official_names():
        raise CheckpointError(f"'{name}' is not an official weights name; known: {', '.join(official_names())}")
    url = url or weights_url(name)
    dest = Path(dest_dir or weights_dir()) / name
    entry = (table().get("files") or {}).get(name) or {}
    print(f"Downloading {url} to {dest} ...")
    try:
        fetch(url, dest, timeout=timeout, sha256=entry.get("sha256"), size=entry.get("size"), desc=name,
              error=CheckpointError, verify=lambda p: _check_zip(p, url))
    except CheckpointError as e:
        raise CheckpointError(f"{e}. {manual_hint(name, url, dest)}") from None
    return dest


def resolve_weights(source: str | Path, timeout: float = TIMEOUT_S) -> Path:
    """The checkpoint file `source` names: the path itself when it exists; for a bare official name, the copy
    in the weights cache, downloaded there first if missing. Anything else is returned as given (loading then
    says it does not exist)."""
    from ..settings import weights_dir

    path = Path(source)
    if path.exists() or path.name != str(source) or path.name not in official_names():
        return path
    cached = weights_dir() / path.name
    return cached if cached.is_file() else download_weights(path.name, timeout=timeout)
