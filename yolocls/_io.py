"""Atomic writes, the one home of the rule: a file or folder appears whole under its name, or not at all.

Everything is written under a unique temp name beside the target (same filesystem), then renamed over it.
Temp files and folders are created with mode 0o666 / 0o777 and the kernel applies the user's umask, so what
yolocls writes gets the permissions the umask asks for (`tempfile.mkstemp` would give 0600 / 0700, which a
service running as another user cannot read). Dependency-free: any part of yolocls may import it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any


def temp_path(path: str | Path) -> Path:
    """A unique name beside `path` that keeps its suffix (writers such as savefig or np.save go by it)."""
    path = Path(path)
    return path.with_name(f".{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{path.suffix}")


def write_with(path: str | Path, write: Callable[[Path], Any], *, sync: bool = False) -> Path:
    """Call `write(tmp)` to fill a fresh temp file beside `path`, then rename it onto `path`; returns `path`.

    The temp file exists (empty, with the umask's permissions) before `write` runs, so `write` may open it
    by name or replace its contents. `sync=True` flushes it to disk before the rename (checkpoints).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        if sync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: str | Path, data: bytes | bytearray | memoryview, *, sync: bool = False) -> Path:
    """Write `data` to `path` atomically; returns `path`."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    return write_with(path, write, sync=sync)


def write_text(path: str | Path, text: str, *, sync: bool = False) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns `path`."""
    return write_bytes(path, text.encode(), sync=sync)


def temp_folder(beside: str | Path) -> Path:
    """A fresh, empty folder with a unique name beside `beside` (created with the umask's permissions).

    Fill it, then `move_into_place` it; the caller removes it (`shutil.rmtree`) when anything fails.
    """
    beside = Path(beside)
    beside.parent.mkdir(parents=True, exist_ok=True)
    tmp = beside.with_name(f".{beside.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    os.mkdir(tmp, 0o777)
    return tmp


def move_into_place(src: str | Path, dest: str | Path, *, replace: bool = True) -> bool:
    """Rename a finished file or folder `src` onto `dest`; True when `src` is now at `dest`.

    replace=True: an existing `dest` is replaced (a folder is first renamed aside, then removed).
    replace=False: an existing `dest` folder is kept (another process got there first) and `src` is left
    where it is for the caller to remove; returns False then.
    """
    src, dest = Path(src), Path(dest)
    if not replace:
        try:
            os.rename(src, dest)  # fails on a non-empty existing folder: the race's loser keeps the winner's
            return True
        except OSError:
            if dest.exists():
                return False
            raise
    if dest.is_dir() and not dest.is_symlink():
        old = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.old")
        os.replace(dest, old)
        os.replace(src, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dest)
    return True
