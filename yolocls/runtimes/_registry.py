"""Runtime registry: runtime classes registered by format name, and artifact -> runtime detection."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import (
    ArtifactError,
    ArtifactMissingError,
    ConfigError,
    MetadataError,
    MissingDependencyError,
    PlatformNotSupportedError,
    ShapeError,
    UnknownFormatError,
)
from ._base import Runtime

# Errors a runtime raises on purpose, each already naming what is wrong; anything else from a backend's load is
# a file it could not read, diagnosed by Runtime.load_error.
PASS_THROUGH = (ArtifactError, ConfigError, MetadataError, MissingDependencyError, PlatformNotSupportedError,
                ShapeError, UnknownFormatError)

_RUNTIMES: dict[str, type[Runtime]] = {}


def register_runtime(cls: type[Runtime]) -> type[Runtime]:
    """Class decorator: `@register_runtime class OnnxRuntime(Runtime): name = "onnx"; suffixes = (".onnx",)`."""
    if not cls.name:
        raise ValueError(f"runtime {cls.__name__} has no name")
    _RUNTIMES[cls.name] = cls
    return cls


def runtime_names() -> list[str]:
    from ..formats import BUILTIN, load_plugins

    load_plugins()
    order = {n: i for i, n in enumerate(BUILTIN)}
    return sorted(_RUNTIMES, key=lambda n: (order.get(n, len(order)), n))


def get_runtime(name: str) -> type[Runtime]:
    from ..formats import canonical

    names = runtime_names()
    name = canonical(name)
    if name not in _RUNTIMES:
        raise UnknownFormatError(f"no runtime registered for format '{name}'; registered: {', '.join(names)}")
    return _RUNTIMES[name]


def unavailable_reason(fmt: str, device: str = "cpu") -> str | None:
    """Why this machine cannot run `fmt`'s artifacts on `device`: its runtime's own answer (None when it can;
    also None when no runtime is registered for `fmt`, which loading then reports)."""
    from ..formats import canonical

    runtime_names()
    cls = _RUNTIMES.get(canonical(fmt))
    return cls.unavailable_reason(device) if cls is not None else None


def runs_on(fmt: str) -> str:
    """The platform label of `fmt`'s runtime for help texts: any, cuda, macos, edgetpu..."""
    from ..formats import canonical

    runtime_names()
    cls = _RUNTIMES.get(canonical(fmt))
    return cls.runs_on if cls is not None else "any"


def detect_format(path: str | Path) -> str:
    """The format name of an artifact, from its suffix or folder layout."""
    p = Path(path)
    runtime_names()
    # Longest suffix first, so '_int8.tflite'-style suffixes beat '.tflite' if a plugin declares one.
    candidates = sorted(((s, n) for n, c in _RUNTIMES.items() for s in c.suffixes), key=lambda t: -len(t[0]))
    name = p.name.rstrip("/")
    for suffix, fmt in candidates:
        if name.endswith(suffix) and _RUNTIMES[fmt].matches(p):
            return fmt
    known = ", ".join(sorted({s for s, _ in candidates}))
    raise UnknownFormatError(f"'{path}' is not an artifact any registered runtime recognises (known suffixes: {known})")


def format_of_content(kind: str) -> tuple[str, tuple[str, ...]] | None:
    """(name, suffixes) of the registered format whose files hold `kind` content (see yolocls._filetype)."""
    runtime_names()
    return next(((n, tuple(c.suffixes)) for n, c in _RUNTIMES.items() if c.content == kind), None)


def load_runtime(path: str | Path, device: str = "cpu", fmt: str | None = None, **options: Any) -> Runtime:
    """Load an artifact with the runtime of its format (detected from the path unless `fmt` is given).

    Whatever goes wrong while loading is one yolocls error naming the file and the format: ArtifactMissingError
    (no such file), ArtifactError (empty, truncated, damaged, another kind of file), MetadataError,
    MissingDependencyError, PlatformNotSupportedError.
    """
    p = Path(path)
    if not p.exists():
        raise ArtifactMissingError(p, fmt or _guess_format(p), "the file does not exist", fix="check the path")
    cls = get_runtime(fmt or detect_format(p))
    try:
        return cls(p, device=device, **options)
    except PASS_THROUGH:
        raise
    except Exception as e:
        raise cls.load_error(p, e, format_of_content) from e


def _guess_format(p: Path) -> str:
    try:
        return detect_format(p)
    except UnknownFormatError:
        return ""


RuntimeFactory = Callable[..., Runtime]
