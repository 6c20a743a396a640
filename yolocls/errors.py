"""The handful of error types yolocls raises. Each message names the thing, the problem and the fix.

Callers (the CLI, `--format all`, the bench) decide whether to raise, record or warn.
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


class ShapeError(YoloclsError, ValueError):
    """An input whose shape the artifact does not accept."""


class ExportError(YoloclsError, RuntimeError):
    """A converter that failed, or wrote an artifact that does not load and run."""


class ParityError(YoloclsError, AssertionError):
    """An artifact whose outputs drift from the PyTorch reference beyond tolerance."""
