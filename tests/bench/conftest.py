"""Bench fixtures: a cached demo model (no training), and third-party format plugins that crash or cannot
run here, installed through the `yolocls.formats` entry-point group like any third-party format."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = '''
"""Test formats: 'crashfmt' segfaults in its runtime; 'badexport' segfaults in its exporter (taking the
bench's export worker down with it); 'macfmt' runs only on macOS."""
import os
import signal
import sys

import numpy as np

from yolocls import metadata as md_io
from yolocls.exporters import ExporterSpec, register_exporter
from yolocls.runtimes import Runtime, register_runtime


def _export(ctx):
    ctx.path.write_text(md_io.dumps(ctx.metadata))
    return ctx.path


def _export_crash(ctx):
    os.kill(os.getpid(), signal.SIGSEGV)


def _load(self):
    self.metadata = md_io.loads(self.path.read_text())


def _crash(self, x):
    os.kill(os.getpid(), signal.SIGSEGV)


def _uniform(self, x):
    return np.full((x.shape[0], len(self.names)), 1.0 / len(self.names), np.float32)


def _only_on_macos(cls, device="cpu"):
    return None if sys.platform == "darwin" else f"runs only on macOS (this is {sys.platform})"


for name, forward in (("crashfmt", _crash), ("macfmt", _uniform)):
    register_exporter(ExporterSpec(name=name, title=name, suffix="." + name, options=frozenset({"imgsz"})))(_export)
    attrs = {"name": name, "suffixes": ("." + name,), "load": _load, "forward": forward}
    if name == "macfmt":  # where a format can run is its runtime's answer
        attrs["unavailable_reason"] = classmethod(_only_on_macos)
    register_runtime(type(name, (Runtime,), attrs))
register_exporter(ExporterSpec(name="badexport", title="badexport", suffix=".badexport",
                               options=frozenset({"imgsz"})))(_export_crash)
'''


@pytest.fixture
def format_plugins(tmp_path_factory: pytest.TempPathFactory):
    """Install the test formats as an entry-point plugin on sys.path; unregister them afterwards."""
    from yolocls import formats
    from yolocls.exporters import _registry as exp
    from yolocls.runtimes import _registry as rt

    d = tmp_path_factory.mktemp("plugins")
    (d / "benchplug_formats.py").write_text(PLUGIN)
    info = d / "benchplug-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: benchplug\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""\
        [yolocls.formats]
        benchplug = benchplug_formats
        """))
    sys.path.append(str(d))
    formats._loaded = False
    yield ["crashfmt", "badexport", "macfmt"]
    sys.path.remove(str(d))
    for name in ("crashfmt", "badexport", "macfmt"):
        exp._EXPORTERS.pop(name, None)
        rt._RUNTIMES.pop(name, None)
    sys.modules.pop("benchplug_formats", None)
    formats._loaded = True


@pytest.fixture(scope="module")
def demo_home(digits_ckpt: Path, tmp_path_factory: pytest.TempPathFactory):
    """YOLOCLS_HOME with the digits model already cached as the demo model."""
    import os

    from yolocls.bench.demo import demo_path

    home = tmp_path_factory.mktemp("yolocls_home")
    old = os.environ.get("YOLOCLS_HOME")
    os.environ["YOLOCLS_HOME"] = str(home)
    target = demo_path()
    target.parent.mkdir(parents=True)
    shutil.copy(digits_ckpt, target)
    yield target
    if old is None:
        os.environ.pop("YOLOCLS_HOME", None)
    else:
        os.environ["YOLOCLS_HOME"] = old


@pytest.fixture
def report():
    """The hand-made report of tests/bench/fake_report.py (a fresh one per test: tests change it)."""
    from .fake_report import fake_report

    return fake_report()
