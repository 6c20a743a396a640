"""MNN: one .mnn file with the metadata in its bizCode, fp16 weights rounded to nearest, calibrated full int8,
the runtime's options, and an export that never starts pip nor opens a socket (MNN's Python tools do both)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.bench.parity import TOLERANCES, compare
from yolocls.errors import ConfigError, MissingDependencyError
from yolocls.exporters._registry import get_exporter
from yolocls.runtimes import detect_format, load_runtime

from .conftest import run_python

pytestmark = [pytest.mark.mnn, pytest.mark.slow]


@pytest.fixture(scope="module")
def mnn_exports(export_once):
    """{'fp32': best.mnn, 'fp16': best_fp16.mnn, 'int8': best_int8.mnn} (the parity table's exports)."""
    return {"fp32": export_once("mnn"), "fp16": export_once("mnn", half=True),
            "int8": export_once("mnn", int8=True, data="digits")}


def test_artifact_is_one_file_whose_biz_code_holds_the_metadata(mnn_exports):
    import MNN

    for precision, path in mnn_exports.items():
        name = "best.mnn" if precision == "fp32" else f"best_{precision}.mnn"  # one precision per name
        assert path.name == name and detect_format(path) == "mnn"
        assert sorted(p.name for p in path.parent.iterdir()) == sorted([name, "best.pt"])  # no converter debris
        net = MNN.nn.load_module_from_file(str(path), ["images"], ["output0"])
        md = json.loads(net.get_info()["bizCode"])
        assert md["format"] == "mnn" and md["precision"] == precision and md["imgsz"] == [32, 32]
        assert md["names"] == {str(i): str(i) for i in range(10)} and len(md["source"]["sha256"]) == 64
        assert load_runtime(path).precision == precision


def test_half_rounds_weights_to_nearest_before_mnn_truncates_them(mnn_exports, digits_val, digits_ref, tmp_path):
    """MNN's --fp16 truncates; converting the unrounded graph shows what the rounding step saves."""
    from yolocls.exporters.mnn import convert

    x, labels, _ = digits_val
    assert 0.45 < mnn_exports["fp16"].stat().st_size / mnn_exports["fp32"].stat().st_size < 0.55
    ours = compare(load_runtime(mnn_exports["fp16"]).predict(x), digits_ref, labels, precision="fp16")
    onnx_file = Path(YOLO(shutil.copy(mnn_exports["fp32"].with_name("best.pt"), tmp_path / "best.pt"))
                     .export(format="onnx"))
    md = load_runtime(mnn_exports["fp16"]).metadata
    plain = convert(onnx_file, tmp_path / "plain.mnn", tmp_path, framework="ONNX", half=True, biz_code=json.dumps(md))
    theirs = compare(load_runtime(plain, fmt="mnn").predict(x), digits_ref, labels, precision="fp16")
    assert ours.passed and ours.max_abs <= TOLERANCES["fp16"].max_abs, ours
    assert ours.max_abs < 0.5 * theirs.max_abs, (ours.max_abs, theirs.max_abs)


def test_int8_is_calibrated_on_data_and_keeps_a_float_softmax(mnn_exports, digits_val):
    rt = load_runtime(mnn_exports["int8"])
    q = rt.metadata["quantization"]
    assert q["calibration"] == {"images": 300, "source": "digits", "split": "train", "fraction": 1.0}
    assert q["feature_quantize_method"] == "EMA" and q["weight_quantize_method"] == "ADMM"
    assert mnn_exports["int8"].stat().st_size < 0.35 * mnn_exports["fp32"].stat().st_size
    p = rt.predict(digits_val[0][:64])
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    assert np.mean(np.isclose(p * 256, np.round(p * 256), atol=1e-4)) < 0.5  # not an 8-bit output


def test_runtime_threads_precision_and_batches(mnn_exports, digits_val, digits_ref):
    x = digits_val[0][:7]
    one = load_runtime(mnn_exports["fp32"], threads=1).predict(x)  # static batch 1: looped over the 7 images
    np.testing.assert_allclose(one, digits_ref[:7], atol=1e-5)
    np.testing.assert_allclose(load_runtime(mnn_exports["fp32"], precision="high").predict(x), one, atol=1e-6)
    with pytest.raises(ConfigError, match="precision='fast'"):
        load_runtime(mnn_exports["fp32"], precision="fast")


def test_missing_package_names_the_extra(mnn_exports):
    code = f'''
    from yolocls import YOLO
    try:
        YOLO({str(mnn_exports["fp32"])!r})
    except ImportError as e:
        print("ERR", e)
    '''
    r = run_python(code, blocked=("MNN",))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "format 'mnn' needs MNN, which is not installed. Fix: pip install 'yolocls[mnn]'" in r.stdout
    spec = dataclasses.replace(get_exporter("mnn")[0], requires=("yolocls_absent_mnn",))
    with pytest.raises(MissingDependencyError, match=r"pip install 'yolocls\[mnn\]'"):
        spec.check_available()


# Loaded by every Python process of the watched run (PYTHONPATH): logs each interpreter start, each process
# start and each name lookup or connection that leaves the machine.
WATCH = '''
import os, socket, sys
LOG = os.environ["YOLOCLS_WATCH_LOG"]
def note(line):
    with open(LOG, "a") as f:
        f.write(line.replace("\\n", " ") + "\\n")
def local(host):
    return str(host).startswith(("127.", "::1", "localhost")) or str(host) in ("", "0.0.0.0")
def hook(event, args):
    if event in ("subprocess.Popen", "os.exec", "os.posix_spawn"):
        note(f"PROCESS {event} {args[1]!r}")
    elif event in ("os.system", "os.spawn"):
        note(f"PROCESS {event} {args!r}")
    elif event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6) and not local(args[1][0]):
        note(f"SOCKET connect {args[1]!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname") and not local(args[0]):
        note(f"SOCKET {event} {args[0]!r}")
note(f"START {sys.argv!r}")
sys.addaudithook(hook)
'''
PIP = re.compile(r"(?<![\w.-])pip[\d.]*(?![\w.-])")  # pip, pip3, pip3.11, -m pip; not a path like test_no_pip_0
FAKE_PIP = "#!/bin/sh\necho \"$0 $*\" >> \"$YOLOCLS_WATCH_LOG.pip\"\nexit 1\n"


def watched(code: str, tmp_path: Path) -> tuple[list[str], list[str]]:
    """Run `code` with the watch hook in every interpreter and a fake `pip` first on PATH; return
    (the hook's log lines, the fake pip's invocations)."""
    site, fake_bin = tmp_path / "watch_site", tmp_path / "fake_bin"
    site.mkdir()
    fake_bin.mkdir()
    (site / "sitecustomize.py").write_text(WATCH)
    for name in ("pip", "pip3", f"pip3.{sys.version_info.minor}"):
        (fake_bin / name).write_text(FAKE_PIP)
        (fake_bin / name).chmod(0o755)
    log = tmp_path / "watch.log"
    env = {"YOLOCLS_WATCH_LOG": str(log), "PATH": f"{fake_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = run_python(code, env=env, pythonpath=(site,), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    pip_log = Path(f"{log}.pip")
    return log.read_text().splitlines(), pip_log.read_text().splitlines() if pip_log.exists() else []


def pip_freeze() -> str:
    return subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True, check=True).stdout


def test_export_starts_no_pip_and_opens_no_socket(digits_ckpt, tmp_path):
    ckpt = shutil.copy(digits_ckpt, tmp_path / "best.pt")
    before = pip_freeze()
    lines, pip_runs = watched(f'''
    from yolocls import YOLO
    YOLO({str(ckpt)!r}).export(format="mnn", int8=True, data="digits")  # converter, quantization tool, runtime
    ''', tmp_path)
    assert (tmp_path / "best_int8.mnn").is_file()
    assert pip_runs == [], pip_runs
    assert [s for s in lines if s.startswith("SOCKET")] == []
    assert [s for s in lines if s.startswith("PROCESS") and PIP.search(s)] == []
    # the watch reached the converter's own interpreters (it would have seen their pip or socket)
    children = [s for s in lines if s.startswith("START") and "mnnconvert" in s]
    assert len(children) == 2 and any(s.startswith("START") and "mnnquant" in s for s in lines), lines
    assert pip_freeze() == before


def test_the_watch_catches_mnn_own_python_tools(tmp_path):
    """The control: importing MNN.tools as MNN's own wrappers do tries to pip-install (into the fake pip here)."""
    lines, pip_runs = watched('''
    try:
        import MNN.tools.mnnconvert
    except Exception:
        pass
    ''', tmp_path)
    assert any("install -U aliyun-log-python-sdk" in s for s in pip_runs), textwrap.shorten(str(lines), 500)
    assert any(s.startswith("PROCESS os.system") and PIP.search(s) for s in lines), textwrap.shorten(str(lines), 500)
