"""The public API modules type-check (mypy, configured in pyproject.toml [tool.mypy]): what py.typed promises."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install -e '.[dev]')")
def test_public_api_modules_type_check(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_package_says_it_is_typed_and_has_one_version() -> None:
    import tomllib

    from yolocls._version import __version__

    assert (ROOT / "yolocls" / "py.typed").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "yolocls._version.__version__"}
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["yolocls"]
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text()
