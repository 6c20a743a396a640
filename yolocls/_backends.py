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

# Set by paddle's import when unset (OMP_NUM_THREADS=1, into os.environ): it would then reach every later
# import in the process (a torch imported after a SavedModel was loaded ran on 1 thread) and every child.
_PADDLE_ENV = ("OMP_NUM_THREADS",)


def import_paddle_module() -> ModuleType:
    """`import paddle`, without its thread setting leaking into os.environ (ImportError propagates)."""
    before = {k: os.environ.get(k) for k in _PADDLE_ENV}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "No ccache found" and kin, on every import
            import paddle
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return paddle


def paddle_first() -> None:
    if "tensorflow" not in __import__("sys").modules and importlib.util.find_spec("paddle") is not None:
        try:
            import_paddle_module()
        except Exception:  # a broken paddle must not take TensorFlow down with it
            pass


def import_tensorflow() -> ModuleType:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    paddle_first()
    import tensorflow as tf

    return tf
