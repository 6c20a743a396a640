"""Fixtures of the format tests: artifacts exported once per session, and a Python subprocess runner that can
make chosen packages unimportable (to prove a runtime needs no torch, or that a missing package is named)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Prepended to a subprocess's code: importing a blocked package fails as if it were not installed.
BLOCKER = '''
import sys
class _Blocker:
    blocked = {blocked!r}
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None
sys.meta_path.insert(0, _Blocker())
'''


@pytest.fixture(scope="session")
def exported(digits_ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The digits model exported once to torchscript, onnx and openvino (static batch 1, imgsz 32, fp32)."""
    from yolocls import YOLO

    d = tmp_path_factory.mktemp("exported")
    model = YOLO(shutil.copy(digits_ckpt, d / "best.pt"))
    return {"pt": d / "best.pt", **{f: Path(model.export(format=f)) for f in ("torchscript", "onnx", "openvino")}}


@pytest.fixture(scope="session")
def export_once(digits_ckpt: Path, tmp_path_factory: pytest.TempPathFactory):
    """`export_once(fmt, **options)` -> artifact path: each (format, options) is exported once per session, beside
    its own copy of the digits checkpoint, so the parity table and a format's own tests share one export."""
    from yolocls import YOLO

    cache: dict[tuple, Path] = {}

    def export(fmt: str, **options) -> Path:
        key = (fmt, tuple(sorted(options.items())))
        if key not in cache:
            folder = tmp_path_factory.mktemp("_".join([fmt, *(f"{k}-{v}" for k, v in key[1])])[:60])
            cache[key] = Path(YOLO(shutil.copy(digits_ckpt, folder / "best.pt")).export(format=fmt, **options))
        return cache[key]

    return export


def run_python(code: str, blocked: tuple[str, ...] = (), env: dict[str, str] | None = None,
               pythonpath: tuple[Path, ...] = (), timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter that imports this checkout's yolocls (not the venv's editable one)."""
    prelude = BLOCKER.format(blocked=set(blocked)) if blocked else ""
    full_env = {**os.environ, **(env or {}),
                "PYTHONPATH": os.pathsep.join(str(p) for p in (*pythonpath, ROOT))}
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT)
