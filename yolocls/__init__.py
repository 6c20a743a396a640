"""yolocls: YOLOv8-style image classification, built for deployment.

`import yolocls` is deliberately light: it imports neither torch nor any optional backend; `YOLO` is
resolved on first use.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["YOLO", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "YOLO":
        from .api import YOLO  # the engine's facade plus benchmark(), which needs the bench

        return YOLO
    raise AttributeError(f"module 'yolocls' has no attribute '{name}'")
