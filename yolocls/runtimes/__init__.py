"""Runtimes: one plugin per format, each turning an artifact into `predict(batch) -> probabilities`."""

from ._base import Runtime
from ._registry import (
    detect_format,
    get_runtime,
    load_runtime,
    register_runtime,
    runs_on,
    runtime_names,
    unavailable_reason,
)

__all__ = ["Runtime", "detect_format", "get_runtime", "load_runtime", "register_runtime", "runs_on", "runtime_names",
           "unavailable_reason"]
