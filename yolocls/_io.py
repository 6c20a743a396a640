"""Atomic writes, the one home of the rule: a file or folder appears whole under its name, or not at all.

Everything is written under a unique temp name beside the target (same filesystem), then renamed over it.
Temp files and folders are created with mode 0o666 / 0o777 and the kernel applies the user's umask, so what
yolocls writes gets the permissions the umask asks for (`tempfile.mkstemp` would give 0600 / 0700, which a
service running as another user cannot read). A write that does not fit (no space left, or the file size limit)
raises DiskFullError naming the folder and the size, and leaves no partial file. Dependency-free: any part of
yolocls may import it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import DiskFullError

FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
SPACE_MARGIN = 1 << 20  # kept free beyond a write's own size: the filesystem's metadata, a metadata.yaml


def temp_path(path: str | Path) -> Path:
    """A unique name beside `path` that keeps its suffix (writers such as savefig or np.save go by it)."""
    path = Path(path)
    return path.with_name(f".{path.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{path.suffix}")


def free_bytes(path: str | Path) -> int | None:
    """Free bytes on the filesystem that holds `path` (or its nearest existing parent); None if unknown."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def file_size_limit() -> int | None:
    """This process's file size limit (RLIMIT_FSIZE, `ulimit -f`) in bytes; None when unlimited."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    return None if soft == resource.RLIM_INFINITY else int(soft)


def space_problem(path: str | Path, needed: int, what: str = "", largest: int | None = None) -> DiskFullError | None:
    """The DiskFullError writing `needed` bytes into `path`'s folder would meet, or None. `largest`: the
    biggest single file among them (checked against the file size limit; default: all of `needed`)."""
    free = free_bytes(path)
    if free is not None and free < needed + SPACE_MARGIN:
        return DiskFullError(path, needed, free, what=what)
    limit = file_size_limit()
    if limit is not None and limit < (largest or needed):
        return DiskFullError(path, largest or needed, limit=limit, what=what)
    return None


def require_space(path: str | Path, needed: int, what: str = "", largest: int | None = None) -> None:
    """Raise DiskFullError now when a write of ~`needed` bytes into `path`'s folder cannot fit, before
    anything is written (a converter that dies on a full disk never gets to start)."""
    problem = space_problem(path, needed, what, largest)
    if problem is not None:
        raise problem


def is_disk_full(e: BaseException) -> bool:
    return isinstance(e, OSError) and e.errno in FULL_ERRNOS


def as_disk_full(e: BaseException, path: str | Path, needed: int | None = None) -> DiskFullError | None:
    """`e` (an ENOSPC/EFBIG OSError) as the DiskFullError naming `path`; None for any other error."""
    if isinstance(e, DiskFullError):
        return e
    if not is_disk_full(e):
        return None
    if e.errno == errno.EFBIG:
        return DiskFullError(path, needed, limit=file_size_limit() or 0)
    return DiskFullError(path, needed, free_bytes(path))


def write_with(path: str | Path, write: Callable[[Path], Any], *, sync: bool = False,
               needed: int | None = None) -> Path:
    """Call `write(tmp)` to fill a fresh temp file beside `path`, then rename it onto `path`; returns `path`.

    The temp file exists (empty, with the umask's permissions) before `write` runs, so `write` may open it
    by name or replace its contents. `sync=True` flushes it to disk before the rename (checkpoints).
    `needed`: the size when known, checked against the free space first. A full disk raises DiskFullError.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if needed is not None:
        require_space(path, needed)
    tmp = temp_path(path)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        write(tmp)
        if sync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        full = as_disk_full(e, path, needed)
        if full is not None and full is not e:
            raise full from e
        raise
    return path


def write_bytes(path: str | Path, data: bytes | bytearray | memoryview, *, sync: bool = False) -> Path:
    """Write `data` to `path` atomically; returns `path`."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    return write_with(path, write, sync=sync, needed=memoryview(data).nbytes)


def write_text(path: str | Path, text: str, *, sync: bool = False) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns `path`."""
    return write_bytes(path, text.encode(), sync=sync)


def temp_folder(beside: str | Path, suffix: str = "") -> Path:
    """A fresh, empty folder with a unique name beside `beside` (created with the umask's permissions), ending
    in `suffix` (for tools that insist on a folder suffix such as `.mlpackage`).

    Fill it, then `move_into_place` it; the caller removes it (`shutil.rmtree`) when anything fails.
    """
    beside = Path(beside)
    beside.parent.mkdir(parents=True, exist_ok=True)
    tmp = beside.with_name(f".{beside.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{suffix}")
    os.mkdir(tmp, 0o777)
    return tmp


def move_into_place(src: str | Path, dest: str | Path, *, replace: bool = True) -> bool:
    """Rename a finished file or folder `src` onto `dest`; True when `src` is now at `dest`.

    replace=True: an existing `dest` is replaced, and `dest` never goes missing on the way: a file by rename,
    a folder by an atomic exchange (Linux renameat2) and the old one removed. Two processes replacing one
    folder at once each land whole, one after the other. Where the exchange is not available the old folder
    is renamed aside first; if a concurrent writer's folder lands in that moment, it is kept (it is as new as
    ours) and `src` is removed.
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
    for _ in range(8):  # each turn loses only to a concurrent writer landing first
        if not (dest.is_dir() and not dest.is_symlink()):
            try:
                os.replace(src, dest)
                return True
            except OSError:
                if src.is_dir() and dest.is_dir():
                    continue  # a concurrent writer's folder landed first: exchange with it
                raise
        if _exchange(src, dest):
            shutil.rmtree(src, ignore_errors=True)  # src now holds the old folder
            return True
        old = dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.old")
        try:
            os.replace(dest, old)
        except FileNotFoundError:  # a concurrent writer moved it aside: try again
            continue
        try:
            os.replace(src, dest)
        except OSError:
            if not dest.is_dir():
                os.replace(old, dest)
                raise
            shutil.rmtree(src, ignore_errors=True)  # a concurrent writer's folder landed first: keep it
        shutil.rmtree(old, ignore_errors=True)
        return True
    raise OSError(errno.EBUSY, f"could not move '{src}' onto '{dest}': other writers kept replacing it")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.ENOENT, errno.EPERM):
        return False  # not supported here (filesystem, kernel, sandbox), or `b` went missing: use the fallback
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def locked(path: str | Path, *, blocking: bool = True) -> Iterator[bool]:
    """An exclusive advisory lock held for the `with` block (fcntl.flock; yields False without fcntl, or when
    `blocking=False` and another process holds it). `path` may be a folder (locking it leaves no lock file
    behind) or a file (created if missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; callers stay correct, only less strict
        yield False
        return
    p = Path(path)
    fd = os.open(p, os.O_RDONLY) if p.is_dir() else os.open(p, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
