"""Importing backends that do not get along in one process.

`import tensorflow` followed by `import paddle` segfaults (paddle's libpaddle loads after TF's libs); the
other order works. So whatever imports TensorFlow (directly or through onnx2tf, tensorflowjs, coremltools)
calls `import_tensorflow()`, which imports paddle first when it is installed.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from types import ModuleType


def paddle_first() -> None:
    if "tensorflow" not in __import__("sys").modules and importlib.util.find_spec("paddle") is not None:
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="No ccache found")  # paddle's, on every import
                import paddle  # noqa: F401
        except Exception:  # a broken paddle must not take TensorFlow down with it
            pass


def import_tensorflow() -> ModuleType:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    paddle_first()
    import tensorflow as tf

    return tf
