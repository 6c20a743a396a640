"""Bench: export -> load -> val -> parity -> latency -> report, over every registered format.

`yolocls.bench.run(model="best.pt", formats="onnx,openvino")` returns the rows; `benchmark(...)` the whole report.
Importing this package is light (no torch, no backend).
"""

from __future__ import annotations

from typing import Any

__all__ = ["benchmark", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'yolocls.bench' has no attribute '{name}'")
