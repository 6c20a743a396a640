"""Importing backends that do not get along in one process, or that import more than they need.

`import tensorflow` followed by `import paddle` segfaults (paddle's libpaddle loads after TF's libs); the
other order works. So whatever imports TensorFlow (directly or through onnx2tf, tensorflowjs) calls
`import_tensorflow()`, which imports paddle first when it is installed.

coremltools probes every optional package it has a frontend or helper for at import (`coremltools._deps`):
TensorFlow, scikit-learn, xgboost, ExecuTorch, torchao; with them installed that is ~15 s of a ~17 s import,
and TensorFlow then sits in the process (see above). yolocls converts traced TorchScript and reads packages
only, so `import_coremltools()` imports it with those packages hidden (`hidden_packages`): coremltools then
lacks the TensorFlow/scikit-learn/xgboost frontends and the ExecuTorch/torchao program support, which we
never call, and it imports neither TensorFlow nor paddle.

Importing a big backend is mostly spent allocating objects that live as long as the process, and Python's
cyclic garbage collector scans all of them again and again meanwhile: 0.5-2 s of a 3-8 s import here (torchao and
ExecuTorch's XNNPACK partitioner 1.1 s, TensorFlow for a runtime 1.0 s, TensorFlow with onnx2tf 2.0 s). So those
imports run under `gc_paused()`. In the bench's own processes (its fork server, export workers and runtime
zygotes, which call `freeze_after_imports()`), what an import built is then frozen out of later collections
(`gc.freeze`), so a conversion that follows collects only its own objects (ExecuTorch's lowering: 0.75 s of
collections -> 0.25 s). A user's process is never frozen: garbage cycles frozen there would never be freed.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from types import ModuleType

_freeze_after_imports = False  # set by the bench's own processes (freeze_after_imports); inherited by fork


def freeze_after_imports() -> None:
    """In this process (and in those forked from it), `gc_paused()` ends by freezing what exists then
    (`gc.freeze`): for processes of yolocls' own that import backends and then work, never for a user's."""
    global _freeze_after_imports
    _freeze_after_imports = True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block (heavy imports: they make long-lived objects, not
    garbage), and back as it was after it; in a process that called `freeze_after_imports()`, everything that
    exists then is first frozen out of later collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze_after_imports:
            gc.freeze()
        if enabled:
            gc.enable()


# What coremltools' optional probes import that a TorchScript -> ML program conversion never uses.
COREMLTOOLS_UNUSED = ("tensorflow", "sklearn", "xgboost", "executorch", "torchao", "transformers", "torchvision",
                      "torchaudio", "libsvm")

# Set by paddle's import when unset (OMP_NUM_THREADS=1, into os.environ): it would then reach every later
# import in the process (a torch imported after a SavedModel was loaded ran on 1 thread) and every child.
_PADDLE_ENV = ("OMP_NUM_THREADS",)


def import_paddle_module() -> ModuleType:
    """`import paddle`, without its thread setting leaking into os.environ (ImportError propagates)."""
    before = {k: os.environ.get(k) for k in _PADDLE_ENV}
    try:
        with warnings.catch_warnings(), gc_paused():
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


# What `import tensorflow` loads eagerly that running a SavedModel or GraphDef never uses: Keras (3, or tf_keras
# with TF_USE_LEGACY_KERAS=1) and, through Keras 3, scikit-learn: 7.2 s of import instead of 4.1 s here.
TENSORFLOW_UNUSED_TO_RUN = ("keras", "tf_keras", "sklearn")


def import_tensorflow(*, keras: bool = True, paddle: bool = True) -> ModuleType:
    """TensorFlow, imported after paddle (`paddle=False`: for a process that will never import paddle) and,
    with `keras=False` (the runtimes), without loading Keras: TensorFlow then skips its eager Keras import,
    and a later `tf.keras` or `import keras` still loads it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if paddle:
        paddle_first()
    if keras or "tensorflow" in sys.modules:
        with gc_paused():
            import tensorflow as tf
    else:
        with hidden_packages(TENSORFLOW_UNUSED_TO_RUN), gc_paused():
            import tensorflow as tf
        _keras_path(tf)
    return tf


def _keras_path(tf: ModuleType) -> None:
    """Put back what TensorFlow's import would have put on `tensorflow.__path__` with Keras visible (its
    `keras._tf_keras` and `keras.api._v2` / `tf_keras.api._v2` folders; None entries while hidden), so that a
    later `import tensorflow.keras` (tensorflowjs does) works as after an ordinary import."""
    from tensorflow.python.tools import module_util

    legacy = os.environ.get("TF_USE_LEGACY_KERAS") in ("true", "True", "1")
    names = ("keras._tf_keras.keras", "tf_keras.api._v2.keras" if legacy else "keras.api._v2.keras")
    found = [module_util.get_parent_dir_for_name(n) for n in names]  # TensorFlow prepends them in this order
    tf.__path__[:] = [d for d in reversed(found) if d] + [p for p in tf.__path__ if p]


class _Refused(importlib.abc.Loader):
    """The loader of a hidden package's spec: creating the module fails as if the package were not installed."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        raise ModuleNotFoundError(f"No module named {spec.name!r} (hidden by yolocls while importing a backend)",
                                  name=spec.name)

    def exec_module(self, module: ModuleType) -> None:  # never reached: create_module refuses
        raise ModuleNotFoundError(module.__name__, name=module.__name__)


class _Hidden(importlib.abc.MetaPathFinder):
    """Makes `import <one of packages>` fail as if not installed, for imports made by one thread. The
    import fails in the loader, not in `find_spec`: `importlib.util.find_spec(name)` (which TensorFlow calls on
    Keras to set its path) returns a spec without an origin instead of raising."""

    def __init__(self, packages: tuple[str, ...]) -> None:
        self.packages, self.thread = frozenset(packages), threading.get_ident()

    def find_spec(self, name: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if name.partition(".")[0] in self.packages and threading.get_ident() == self.thread:
            return importlib.machinery.ModuleSpec(name, _Refused())
        return None  # everything else: the next finder's answer


@contextlib.contextmanager
def hidden_packages(packages: tuple[str, ...]) -> Iterator[None]:
    """Inside the block, this thread cannot import `packages` that are not imported yet (ModuleNotFoundError,
    as if not installed); those already in sys.modules stay usable. After it, every import works again: a
    failed import leaves nothing behind (no sys.modules entry, no cached miss)."""
    finder = _Hidden(packages)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def import_coremltools(unused: tuple[str, ...] = COREMLTOOLS_UNUSED) -> ModuleType:
    """coremltools without its optional probes (`unused` hidden: ~2 s instead of ~17 s here), quiet. Should a
    coremltools release need one of them after all, it is imported the ordinary way (paddle first)."""
    logging.getLogger("coremltools").setLevel(logging.ERROR)  # one INFO line per removed constant otherwise
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Torch version ... has not been tested with coremltools" and kin
        try:
            with hidden_packages(unused), gc_paused():
                import coremltools as ct
        except ModuleNotFoundError as e:
            if (e.name or "").partition(".")[0] not in unused:
                raise
            for name in [m for m in sys.modules if m == "coremltools" or m.startswith("coremltools.")]:
                del sys.modules[name]  # the half-imported package, so that the import starts over
            paddle_first()
            import coremltools as ct
    return ct
