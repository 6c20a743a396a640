"""What the TensorFlow-family formats (saved_model, pb, tflite, edgetpu, tfjs) share on both sides: importing
TensorFlow (after paddle, see `_backends`), and the NHWC input layout their graphs take, which the exporters
record in the metadata and the runtimes read back."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from ._backends import import_tensorflow
from .errors import MissingDependencyError

NHWC = "NHWC"
SIGNATURE = "serving_default"  # the one signature of the SavedModels written (saved_model, and tfjs's source)


def load_tensorflow(fmt: str, *, paddle: bool = True) -> ModuleType:
    """TensorFlow for running `fmt`'s artifacts (without Keras, see `_backends.import_tensorflow`), or a
    MissingDependencyError for `fmt`."""
    try:
        return import_tensorflow(keras=False, paddle=paddle)
    except ImportError:
        raise MissingDependencyError(fmt, "tensorflow", "tensorflow") from None


def import_backend(cls: type) -> None:
    """`Runtime.import_backend` of the TensorFlow runtimes, for a process that runs only them (the bench's
    zygote): TensorFlow as their `load()` imports it, less paddle, which that process never imports."""
    load_tensorflow(cls.name, paddle=False)


def batch_is_free(shape: Any) -> bool:
    """True when a graph input's shape (a TensorShape, or model.json's list) leaves the batch dimension open."""
    dims = list(shape) if shape is not None else []
    return bool(dims) and dims[0] in (None, -1)


def nhwc_preprocess(preprocess: dict[str, Any]) -> dict[str, Any]:
    """The metadata's preprocessing record for a graph that takes NHWC input."""
    return {**preprocess, "layout": NHWC}


def to_layout(x: np.ndarray, metadata: dict[str, Any]) -> np.ndarray:
    """NCHW (the runtime contract) -> the layout the artifact's metadata says its graph takes."""
    if (metadata.get("preprocess") or {}).get("layout", "NCHW") == NHWC:
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x
