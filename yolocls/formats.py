"""The one table of formats: names in display order, and plugin discovery.

A format is a pair of plugins: `yolocls.exporters.<name>` (PyTorch model -> artifact) and
`yolocls.runtimes.<name>` (artifact -> probabilities). Importing a plugin module is cheap (its converter or
runtime package is imported inside its functions), so listing formats never needs an optional dependency.
Third-party formats register through the `yolocls.formats` entry-point group: loading the entry point
imports a module whose decorators register an exporter and/or a runtime.
"""

from __future__ import annotations

import importlib
import warnings
from importlib.metadata import entry_points

# `pt` is the PyTorch checkpoint itself: a runtime (the parity reference), not an export target.
BUILTIN: tuple[str, ...] = ("pt", "torchscript", "onnx", "openvino", "engine", "coreml", "saved_model", "pb",
                            "tflite", "edgetpu", "tfjs", "paddle", "ncnn", "mnn", "executorch")
REFERENCE_FORMAT = "pt"
DEFAULT_EXPORT = "torchscript"  # what `export()` and `yolocls export` write when no format is given (as Ultralytics)
# Other names of a registered format: one registry entry answers to both (LiteRT is TFLite's current name).
ALIASES: dict[str, str] = {"litert": "tflite"}
ENTRY_POINT_GROUP = "yolocls.formats"
_loaded = False


def canonical(name: str) -> str:
    """A format name as the registries key it: lower case, no leading dot, an alias replaced by its format."""
    key = str(name).lower().strip().lstrip(".")
    return ALIASES.get(key, key)


def load_plugins() -> None:
    """Import every built-in plugin module that exists, then every entry-point plugin (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for side in ("exporters", "runtimes"):
        for name in BUILTIN:
            try:
                importlib.import_module(f"yolocls.{side}.{name}")
            except ModuleNotFoundError as e:
                if e.name != f"yolocls.{side}.{name}":  # a plugin whose own import is broken must say so
                    raise
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as e:  # a broken third-party plugin must not break yolocls
            warnings.warn(f"format plugin entry point '{ep.name}' ({ep.value}) failed to load: {e}", stacklevel=2)
