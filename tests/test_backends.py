"""yolocls/_backends.py: backends that do not get along in one process, and imports with chosen packages hidden
(for this thread and this block only)."""

from __future__ import annotations

import importlib
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
