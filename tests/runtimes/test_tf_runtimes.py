"""TensorFlow-family runtimes without an export: detection, import weight, the tfjs runner protocol and setup."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yolocls import metadata as md_io
from yolocls.runtimes import detect_format, load_runtime

TF_RUNTIMES = ["saved_model", "pb", "tflite", "edgetpu", "tfjs"]


@pytest.mark.parametrize(("name", "fmt"), [
    ("best_saved_model", "saved_model"), ("best.pb", "pb"), ("best.tflite", "tflite"),
    ("best_edgetpu.tflite", "edgetpu"), ("best_web_model", "tfjs"),
])
def test_artifacts_are_detected_by_suffix(name, fmt):
    assert detect_format(name) == fmt


def test_tf_runtime_modules_import_neither_torch_nor_tensorflow():
    code = ("import sys, importlib; [importlib.import_module(f'yolocls.runtimes.{n}') for n in "
            f"{TF_RUNTIMES!r}]; print([m for m in ('torch', 'tensorflow', 'ai_edge_litert') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_softmax_of_logits_is_stable():
    from yolocls.runtimes.tflite import softmax

    p = softmax(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]], np.float32))
    assert np.allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])


def test_nchw_batches_are_fed_to_nhwc_graphs_transposed():
    from yolocls._tf import to_layout

    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    y = to_layout(x, {"preprocess": {"layout": "NHWC"}})
    assert y.shape == (2, 4, 5, 3) and y[1, 2, 3, 0] == x[1, 0, 2, 3] and y.flags.c_contiguous
    assert to_layout(x, {"preprocess": {"layout": "NCHW"}}) is x


def test_tflite_without_yolocls_metadata_says_re_export(tmp_path):
    p = tmp_path / "other.tflite"
    p.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(64))
    with pytest.raises(ValueError, match=r"other\.tflite' as tflite: the file is truncated or damaged.*re-export it"):
        load_runtime(p)


def test_tfjs_setup_is_idempotent_and_needs_no_npm_when_installed(monkeypatch, tmp_path):
    from yolocls.runtimes import tfjs_setup

    folder = tfjs_setup.node_dir()
    assert not tfjs_setup.missing_packages(folder), f"run `{tfjs_setup.SETUP_COMMAND}` (npm packages missing)"
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm reachable: an install attempt would fail
    assert tfjs_setup.setup(folder) == folder
    assert tfjs_setup.main([]) == 0
    lock = json.loads(tfjs_setup.LOCKFILE.read_text())
    assert lock["packages"][""]["dependencies"] == tfjs_setup.PACKAGES


def test_tfjs_setup_without_npm_explains(monkeypatch, tmp_path):
    from yolocls.errors import MissingDependencyError
    from yolocls.runtimes import tfjs_setup

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="npm.*Node.js"):
        tfjs_setup.setup(tmp_path / "empty")


@pytest.mark.tfjs
def test_tfjs_runner_reports_a_broken_model_with_its_error(tmp_path):
    folder = tmp_path / "broken_web_model"
    folder.mkdir()
    md_io.write_metadata_file(folder, md_io.build_metadata(names={0: "a"}, imgsz=32, fmt="tfjs", layout="NHWC"))
    (folder / "model.json").write_text(json.dumps({"format": "graph-model", "modelTopology": {"node": []},
                                                   "weightsManifest": [{"paths": ["missing.bin"], "weights": []}]}))
    with pytest.raises(FileNotFoundError, match=r"missing\.bin' as tfjs: a weight shard model\.json names is missing"):
        load_runtime(folder)  # found before node starts (node's own error for it is a JavaScript stack)


def test_runner_script_ships_with_the_package():
    import yolocls.runtimes.tfjs as tfjs

    assert tfjs.RUNNER.is_file() and Path(tfjs.RUNNER).suffix == ".js"
