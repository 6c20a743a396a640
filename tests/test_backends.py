"""yolocls/_backends.py: backends that do not get along in one process, and imports with chosen packages hidden
(for this thread and this block only)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import threading

import pytest

from yolocls._backends import hidden_packages

CODE = """
import json, os
from yolocls._backends import paddle_first
paddle_first()
import sys
print(json.dumps({"omp": os.environ.get("OMP_NUM_THREADS"), "paddle": "paddle" in sys.modules}))
"""


@pytest.mark.parametrize("given", [None, "3"])
def test_importing_paddle_leaves_the_thread_environment_as_it_was(given):
    pytest.importorskip("paddle")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if given:
        env["OMP_NUM_THREADS"] = given
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # paddle's import writes OMP_NUM_THREADS=1 when it is unset; a torch or child started later would inherit it
    assert got == {"omp": given, "paddle": True}


NAME = "colorsys"  # a small stdlib module nothing here needs


def test_hidden_packages_fail_inside_the_block_only_and_leave_nothing_behind():
    sys.modules.pop(NAME, None)
    finders = list(sys.meta_path)
    with hidden_packages((NAME, "some_other_package")):
        with pytest.raises(ModuleNotFoundError, match="hidden by yolocls") as err:
            importlib.import_module(NAME)
        assert err.value.name == NAME and NAME not in sys.modules
        # another thread is not affected (an export hides packages from its own imports only)
        seen = []
        worker = threading.Thread(target=lambda: seen.append(importlib.import_module(NAME)))
        worker.start()
        worker.join()
        assert seen and seen[0].__name__ == NAME
    sys.modules.pop(NAME, None)
    assert importlib.import_module(NAME).rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert sys.meta_path == finders


def test_an_imported_package_stays_usable_while_hidden():
    importlib.import_module(NAME)
    with hidden_packages((NAME,)):
        assert importlib.import_module(NAME) is sys.modules[NAME]


def test_a_hidden_package_is_found_without_an_origin_instead_of_raising():
    """TensorFlow asks `importlib.util.find_spec("keras")` for a path while importing: that must not raise."""
    sys.modules.pop(NAME, None)
    with hidden_packages((NAME,)):
        spec = importlib.util.find_spec(NAME)
        assert spec is not None and spec.origin is None
        with pytest.raises(ModuleNotFoundError, match="hidden by yolocls"):
            importlib.import_module(f"{NAME}.sub")
    assert importlib.util.find_spec(NAME).origin.endswith(".py")


TF_RUNTIME_IMPORT = """
import json, sys
from yolocls.runtimes import get_runtime
get_runtime("saved_model").import_backend()
loaded = [m for m in ("keras", "tf_keras", "sklearn", "paddle") if m in sys.modules]
import tensorflow as tf
import keras  # still importable after the runtime's import
print(json.dumps({"loaded": loaded, "keras": "keras" in sys.modules, "tf": tf.constant([1.0]).numpy().tolist()}))
"""


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed")
def test_tensorflow_for_the_runtimes_loads_neither_keras_nor_paddle():
    out = subprocess.run([sys.executable, "-c", TF_RUNTIME_IMPORT], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"loaded": [], "keras": True, "tf": [1.0]}


TF_THEN_KERAS = """
import json, sys
from yolocls._backends import import_tensorflow
plain = list(import_tensorflow().__path__) if sys.argv[1] == "plain" else None
if plain is None:
    tf = import_tensorflow(keras=False)
import tensorflow.keras as k  # what tensorflowjs imports
import tensorflow as tf
print(json.dumps({"path": list(tf.__path__), "keras": k.__name__}))
"""


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed")
def test_tensorflow_imported_without_keras_has_the_ordinary_package_path():
    """tensorflow.keras resolves through TensorFlow's package path, which its import sets from Keras' folders."""
    seen = {}
    for how in ("plain", "no-keras"):
        out = subprocess.run([sys.executable, "-c", TF_THEN_KERAS, how], capture_output=True, text=True,
                             timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        assert out.returncode == 0, out.stderr[-2000:]
        seen[how] = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["plain"] == seen["no-keras"] and None not in seen["plain"]["path"]


GC_CODE = """
import gc, json
from yolocls import _backends
seen = {}
with _backends.gc_paused():
    seen["inside"] = gc.isenabled()
seen["after"], seen["frozen_in_a_user_process"] = gc.isenabled(), gc.get_freeze_count()
gc.disable()
with _backends.gc_paused():
    pass
seen["left_off"] = not gc.isenabled()
gc.enable()
_backends.freeze_after_imports()  # what the bench's own processes do
import colorsys  # noqa: F401
with _backends.gc_paused():
    made = [[i] for i in range(1000)]
seen["frozen_after_imports"] = gc.get_freeze_count()
seen["enabled_again"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_gc_paused_restores_the_collector_and_freezes_only_where_asked():
    out = subprocess.run([sys.executable, "-c", GC_CODE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got.pop("frozen_after_imports") > 1000  # the block's objects and everything before it
    assert got == {"inside": False, "after": True, "frozen_in_a_user_process": 0, "left_off": True,
                   "enabled_again": True}
