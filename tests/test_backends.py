"""yolocls/_backends.py: backends that do not get along in one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

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
