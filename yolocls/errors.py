"""The handful of error types yolocls raises, and the one vocabulary of outcomes they map to.

Each message names the thing, the problem and the fix. Callers (the CLI, `--format all`, the bench) decide
whether to raise, record or warn; when they record, `status_of(error)` gives the row's status.
"""

from __future__ import annotations


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
