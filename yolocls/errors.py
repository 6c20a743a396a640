"""The handful of error types yolocls raises, and the one vocabulary of outcomes they map to.

Each message names the thing, the problem and the fix. Callers (the CLI, `--format all`, the bench) decide
whether to raise, record or warn; when they record, `status_of(error)` gives the row's status.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class YoloclsError(Exception):
    """Base of every error yolocls raises on purpose."""


class ConfigError(YoloclsError, ValueError):
    """A bad argument, model YAML or scale."""


class CheckpointError(YoloclsError):
    """A checkpoint that is missing, truncated, not ours, or would run code when loaded."""


class DatasetError(YoloclsError):
    """A dataset that cannot be found, downloaded or read."""


class SourceError(YoloclsError):
    """A prediction source that cannot be read."""


class UnknownFormatError(YoloclsError, ValueError):
    """A format name or artifact that no registered plugin handles."""


class MissingDependencyError(YoloclsError, ImportError):
    """A format whose Python package (or tool) is not installed."""

    def __init__(self, fmt: str, package: str, extra: str | None = None, hint: str | None = None):
        fix = hint or (f"pip install 'yolocls[{extra}]'" if extra else f"pip install {package}")
        super().__init__(f"format '{fmt}' needs {package}, which is not installed. Fix: {fix}")
        self.format, self.package, self.extra = fmt, package, extra


class PlatformNotSupportedError(YoloclsError, RuntimeError):
    """A format that cannot run on this platform (no CUDA GPU, not macOS...)."""

    def __init__(self, fmt: str, reason: str):
        super().__init__(f"format '{fmt}' is not available on this platform: {reason}")
        self.format, self.reason = fmt, reason


class MetadataError(YoloclsError, ValueError):
    """An artifact without the yolocls metadata it should carry (names, imgsz, preprocessing), or with
    metadata that does not match the artifact."""


class ArtifactError(YoloclsError, ValueError):
    """An artifact that cannot be loaded: missing, empty, truncated, damaged, or not the format its name says."""

    def __init__(self, path: str | Path, fmt: str, problem: str, fix: str | None = None):
        fix = fix or (f"re-export it: yolocls export model=best.pt format={fmt}" if fmt else "")
        super().__init__(f"cannot load '{path}' as {fmt or 'a model'}: {problem}" + (f". Fix: {fix}" if fix else ""))
        self.path, self.format, self.problem = str(path), fmt, problem


class ArtifactMissingError(ArtifactError, FileNotFoundError):
    """An artifact, or a file it needs (an OpenVINO .bin, an ncnn .param), that does not exist."""


class DiskFullError(YoloclsError, OSError):
    """A write that did not fit: no space left on the filesystem, or the process's file size limit reached.

    `needed`: bytes the write wanted, where known. `errno` is ENOSPC (or EFBIG for the file size limit), so code
    that handles OSError by errno keeps working.
    """

    def __init__(self, path: str | Path, needed: int | None = None, free: int | None = None, *,
                 limit: int | None = None, what: str = ""):
        size = f"needed ~{_mb(needed)}" if needed else ""
        if limit is not None:
            head = f"file size limit reached writing {path}"
            tail = f"{size}{', ' if size else ''}the limit (ulimit -f) is {_mb(limit)}"
            code = errno.EFBIG
        else:
            head = f"No space left on {_mount_dir(path)}"
            tail = f"{size}{', ' if size and free is not None else ''}{_mb(free) + ' free' if free is not None else ''}"
            code = errno.ENOSPC
        msg = f"{head}{f' ({tail})' if tail else ''}" + (f" for {what}" if what else "")
        OSError.__init__(self, msg)
        self.errno, self.filename = code, str(path)
        self.needed, self.free, self.limit = needed, free, limit

    def __str__(self) -> str:
        return str(self.args[0])


def _mb(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{max(1, round(n / 2**10))} KB"


def _mount_dir(path: str | Path) -> str:
    """The folder a write went to (the file itself may not exist)."""
    p = Path(path)
    return str(p if p.is_dir() else p.parent if str(p.parent) not in ("", ".") else Path(os.getcwd()))


class ShapeError(YoloclsError, ValueError):
    """An input whose shape the artifact does not accept."""


class ExportError(YoloclsError, RuntimeError):
    """A converter that failed, or wrote an artifact that does not load and run."""


class ParityError(YoloclsError, AssertionError):
    """An artifact whose outputs drift from the PyTorch reference beyond tolerance."""


class BenchError(YoloclsError):
    """The bench cannot produce any row (no reference, no data)."""


# What happened to one format in `--format all` and the bench, in distinct words: "this machine cannot run it"
# (unavailable) and "a package is missing" (missing) are not "broken" (failed).
OK, FAILED, UNAVAILABLE, MISSING = "ok", "failed", "unavailable", "missing"
STATUSES: tuple[str, ...] = (OK, FAILED, UNAVAILABLE, MISSING)


def status_of(error: BaseException) -> str:
    """The status a recorded error gives its format: unavailable, missing or failed."""
    if isinstance(error, PlatformNotSupportedError):
        return UNAVAILABLE
    if isinstance(error, MissingDependencyError):
        return MISSING
    return FAILED
