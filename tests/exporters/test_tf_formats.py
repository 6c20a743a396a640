"""TensorFlow family (saved_model, pb, tflite, edgetpu, tfjs): export offline, then inspect and run each artifact.

The exports run once, in a child process inside a network namespace with no network (`unshare -n`) where the
platform allows it, so a converter that tries to download anything (onnx2tf's calibration file) fails loudly.
The tests then load the artifacts in this process. Parity of the default exports is in test_parity.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from yolocls.bench.parity import assert_parity
from yolocls.errors import ExportError, MissingDependencyError, PlatformNotSupportedError
from yolocls.runtimes import load_runtime

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.tensorflow]

# name: (checkpoint to export ('digits' or 'big', the 1000-class net), format, options)
EXPORTS = {
    "saved_model": ("digits", "saved_model", {"keras": True}),
    "pb": ("digits", "pb", {}),
    "int8": ("digits", "tflite", {"int8": True, "data": "digits"}),
    "int8_io": ("digits", "tflite", {"int8": True, "int8_io": True, "per_channel": False, "data": "digits"}),
    "tfjs": ("digits", "tfjs", {}),
    "big_int8": ("big", "tflite", {"int8": True, "data": "digits"}),
}

CHILD = r"""
import json, socket, sys, shutil, time
from pathlib import Path
spec = json.loads(Path(sys.argv[1]).read_text())
try:
    socket.create_connection(("pypi.org", 443), timeout=3).close()
    network = True
except OSError as e:
    network = False
t0 = time.perf_counter()
from yolocls import YOLO
results = {}
for name, (src, fmt, kw) in spec["exports"].items():
    t, c = time.perf_counter(), time.process_time()
    ckpt = Path(spec["dir"]) / name / "best.pt"
    ckpt.parent.mkdir()
    shutil.copy(spec["ckpts"][src], ckpt)
    try:
        path = YOLO(str(ckpt)).export(format=fmt, **kw)
        results[name] = {"ok": True, "path": path, "seconds": round(time.perf_counter() - t, 1),
                         "cpu": round(time.process_time() - c, 1)}
    except Exception as e:
        results[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
Path(spec["dir"], "results.json").write_text(json.dumps({"network": network, "results": results,
                                                        "seconds": round(time.perf_counter() - t0, 1),
                                                        "cpu": round(time.process_time(), 1)}))
"""


def netns_prefix() -> tuple[list[str], str]:
    """(`unshare -n` prefix, '') where a network namespace can be made here, else ([], why not)."""
    exe = shutil.which("unshare")
    if exe is None:
        return [], "the unshare command is not installed"
    probe = subprocess.run([exe, "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return [], f"`unshare -n` is not permitted here: {probe.stderr.strip()}"
    return [exe, "-n"], ""


def random_1000_class_checkpoint(path: Path, imgsz: int = 32) -> Path:
    """Untrained yolov8n-cls with 1000 classes and randomised BatchNorm statistics (flat ~1e-3 probabilities)."""
    import torch

    from yolocls.models import (
        ClassificationModel,
        checkpoint_from_model,
        randomize_batchnorm,
        save_checkpoint,
    )

    torch.manual_seed(0)
    m = randomize_batchnorm(ClassificationModel("yolov8n-cls.yaml", nc=1000).eval())
    m.names, m.imgsz, m.args = {i: f"class{i}" for i in range(1000)}, imgsz, {}
    return save_checkpoint(checkpoint_from_model(m, epoch=0), path)


@pytest.fixture(scope="module")
def offline_exports(digits_ckpt, digits_root, tmp_path_factory):
    """Every export in EXPORTS, made in one child process without network when possible."""
    work = tmp_path_factory.mktemp("tf_exports")
    big = random_1000_class_checkpoint(work / "big.pt")
    spec = {"dir": str(work), "exports": EXPORTS, "ckpts": {"digits": str(digits_ckpt), "big": str(big)}}
    (work / "spec.json").write_text(json.dumps(spec))
    prefix, why_not = netns_prefix()
    proc = subprocess.run([*prefix, sys.executable, "-c", CHILD, str(work / "spec.json")], capture_output=True,
                          text=True, timeout=600, cwd=work, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads((work / "results.json").read_text())
    print(f"offline TF exports: {out['seconds']} s ({out['cpu']} s CPU) in the child; wall/CPU s per export:",
          {k: (r.get("seconds"), r.get("cpu")) for k, r in out["results"].items()})
    failed = {k: r["error"] for k, r in out["results"].items() if not r["ok"]}
    assert not failed, f"exports failed: {failed}"
    return {"namespace": bool(prefix), "why_not": why_not, "network": out["network"],
            **{k: Path(r["path"]) for k, r in out["results"].items()}}


def test_exports_need_no_network(offline_exports):
    if not offline_exports["namespace"]:
        pytest.skip(f"cannot prove offline exports: {offline_exports['why_not']}")
    assert offline_exports["network"] is False, "the child could reach pypi.org: the namespace was not offline"
    assert all(offline_exports[k].exists() for k in EXPORTS)


def test_saved_model_has_signature_metadata_and_keras_model(offline_exports, digits_val, digits_ref):
    import h5py

    path = offline_exports["saved_model"]
    assert path.name == "best_saved_model"
    assert {"saved_model.pb", "variables", "metadata.yaml", "keras_model.h5"} <= {p.name for p in path.iterdir()}
    with h5py.File(path / "keras_model.h5") as f:
        assert "model_config" in f.attrs and "model_weights" in f
    rt = load_runtime(path)
    assert rt.metadata["preprocess"]["layout"] == "NHWC" and rt.metadata["keras_model"] == "keras_model.h5"
    assert rt.metadata["versions"]["onnx2tf"] and rt.metadata["versions"]["tensorflow"]
    x, labels, _ = digits_val
    assert_parity(rt.predict(x[:64]), digits_ref[:64], precision="fp32", fmt="saved_model")


def test_pb_carries_its_metadata_inside_the_graph(offline_exports, digits_val, digits_ref):
    path = offline_exports["pb"]
    assert path.name == "best.pb" and path.is_file()
    rt = load_runtime(path)
    assert rt.metadata["format"] == "pb" and rt.metadata["graph"] == {"input": "images:0", "output": "Identity:0"}
    assert_parity(rt.predict(digits_val[0][:64]), digits_ref[:64], precision="fp32", fmt="pb")


def test_tflite_metadata_is_an_associated_file_and_required(offline_exports, tmp_path):
    path = offline_exports["int8"]
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["metadata.json"]
        start = zf.infolist()[0].header_offset
    bare = tmp_path / "bare.tflite"
    bare.write_bytes(path.read_bytes()[:start])  # the flatbuffer alone
    from ai_edge_litert.interpreter import Interpreter

    Interpreter(model_path=str(bare)).allocate_tensors()  # loads without its metadata...
    with pytest.raises(ValueError, match="no yolocls metadata.*re-export"):
        load_runtime(bare)  # ...but yolocls needs it


def _weight_scales(rt) -> list[int]:
    """Number of quantisation scales of each int8 constant with 4 dims (the conv kernels)."""
    return [len(t["quantization_parameters"]["scales"]) for t in rt.interpreter.get_tensor_details()
            if t["dtype"] == np.int8 and len(t["shape"]) == 4 and t["shape"][0] > 3]


@pytest.mark.parametrize(("name", "io", "per_channel"), [("int8", np.float32, True), ("int8_io", np.int8, False)])
def test_int8_tflite_keeps_softmax_in_float_and_top1(offline_exports, digits_val, digits_ref, name, io, per_channel):
    rt = load_runtime(offline_exports[name])
    md = rt.metadata
    assert md["precision"] == "int8" and md["output"] == {"kind": "logits", "softmax_in_graph": False}
    assert md["quantization"]["calibration"]["source"] == "digits" and md["quantization"]["calibration"]["images"] > 50
    assert rt.input["dtype"] == io and rt.output["dtype"] == io
    scales = _weight_scales(rt)
    assert scales and all((n > 1) == per_channel for n in scales), scales
    x, labels, names = digits_val
    probs = rt.predict(x)
    assert np.allclose(probs.sum(1), 1, atol=1e-5)
    p = assert_parity(probs, digits_ref, labels, precision="int8", fmt=f"tflite {name}")
    assert p.top1 >= 0.9


def test_int8_many_class_model_is_not_zeroed(offline_exports, digits_val, tmp_path):
    """Trap: an int8 softmax output has steps of 1/256, so ~1e-3 probabilities of 1000 classes round to 0."""
    ref_rt = load_runtime(offline_exports["big_int8"].with_name("best.pt"))
    x = digits_val[0][::12]
    ref = ref_rt.predict(x)
    probs = load_runtime(offline_exports["big_int8"]).predict(x)
    assert ref.max() < 0.01  # the flat distribution that int8 probabilities cannot represent
    assert (probs.max(1) > 0).all() and np.allclose(probs.sum(1), 1, atol=1e-4)
    assert np.abs(probs - ref).max() < 0.1 * ref.max()
    assert (probs.argmax(1) == ref.argmax(1)).mean() >= 0.9


@pytest.mark.parametrize("fmt", ["saved_model", "pb", "tfjs"])
def test_batch_free_graphs_take_a_batch_in_one_call(offline_exports, digits_val, digits_ref, fmt):
    """Exported with batch 1 (the metadata says so), but the TensorFlow graph's input leaves the batch open:
    predict sends 40 images in one call, not 40 calls, with the same probabilities."""
    rt = load_runtime(offline_exports[fmt])
    assert rt.batch == 1 and not rt.dynamic and rt.free_batch
    calls = []
    forward = rt.forward
    rt.forward = lambda x: calls.append(len(x)) or forward(x)
    x = digits_val[0][:40]
    assert_parity(rt.predict(x), digits_ref[:40], precision="fp32", fmt=f"{fmt} batch of 40")
    assert calls == [40]
    rt.close()


def test_tfjs_runs_in_one_kept_alive_node_process(offline_exports, digits_val, digits_ref):
    path = offline_exports["tfjs"]
    assert {"model.json", "metadata.yaml"} <= {p.name for p in path.iterdir()}
    assert any(p.suffix == ".bin" for p in path.iterdir())
    rt = load_runtime(path)
    assert rt.info["backend"] == "wasm" and rt.info["inputs"][0]["shape"][1:] == [32, 32, 3]
    pid = rt.proc.pid
    x = digits_val[0][:48]
    assert_parity(rt.predict(x), digits_ref[:48], precision="fp32", fmt="tfjs wasm")
    assert_parity(rt.forward(x[:5]), digits_ref[:5], precision="fp32", fmt="tfjs batch of 5")
    assert rt.proc.pid == pid and rt.proc.poll() is None
    rt.close()
    assert rt.proc.poll() is not None
    cpu = load_runtime(path, backend="cpu")
    assert cpu.info["backend"] == "cpu"
    assert_parity(cpu.predict(x[:4]), digits_ref[:4], precision="fp32", fmt="tfjs cpu")
    cpu.close()


def test_tfjs_without_npm_packages_names_the_setup_command(offline_exports, tmp_path, monkeypatch):
    monkeypatch.setenv("YOLOCLS_NODE_DIR", str(tmp_path))
    with pytest.raises(MissingDependencyError, match=r"@tensorflow/tfjs@4\.22\.0.*python -m yolocls\.runtimes\.tfjs_setup"):
        load_runtime(offline_exports["tfjs"])


def test_tfjs_without_node_says_so(offline_exports, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="Node.js"):
        load_runtime(offline_exports["tfjs"])


def test_edgetpu_without_compiler_says_where_it_comes_from(ckpt_copy, tmp_path, monkeypatch):
    from yolocls import YOLO

    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{Path(sys.executable).parent}")
    with pytest.raises(PlatformNotSupportedError, match="Coral's apt repository.*x86-64 Linux.*edgetpu-compiler"):
        YOLO(ckpt_copy).export(format="edgetpu")


def _fake_compiler(folder: Path, body: str) -> str:
    """A stand-in for edgetpu_compiler (which cannot run on this machine) to drive the result checks."""
    exe = folder / "edgetpu_compiler"
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


OUT = '"$3/$(basename "$4" .tflite)_edgetpu.tflite"'


@pytest.mark.parametrize(("body", "error"), [
    ('echo "ERROR: Didn\'t find op for builtin opcode" >&2; exit 1', "(?s)exit 1.*Didn't find op"),
    ("echo 'Edge TPU Compiler version 16.0'; exit 0", "did not report success"),
    (f"echo 'Model compiled successfully'; echo junk > {OUT}", "not a TFLite flatbuffer"),
    (f"echo 'Model compiled successfully'; echo 'Number of operations that will run on Edge TPU: 0'; cp \"$4\" {OUT}",
     "mapped no operation"),
])
def test_edgetpu_compiler_failures_are_export_errors(offline_exports, tmp_path, body, error):
    from yolocls.exporters.edgetpu import compile_edgetpu

    with pytest.raises(ExportError, match=error):
        compile_edgetpu(offline_exports["int8_io"], tmp_path, _fake_compiler(tmp_path, body))


def test_edgetpu_compiler_success_is_parsed(offline_exports, tmp_path):
    from yolocls.exporters.edgetpu import compile_edgetpu

    body = ("echo 'Edge TPU Compiler version 16.0.384591198'; echo 'Model compiled successfully in 120 ms.'; "
            "echo 'Number of operations that will run on Edge TPU: 71'; "
            f"echo 'Number of operations that will run on CPU: 2'; cp \"$4\" {OUT}")
    out, info = compile_edgetpu(offline_exports["int8_io"], tmp_path, _fake_compiler(tmp_path, body))
    assert out.name == Path(offline_exports["int8_io"]).stem + "_edgetpu.tflite"  # best_int8.tflite -> best_int8_edgetpu
    assert info == {"compiler": "16.0.384591198", "ops_on_edgetpu": 71, "ops_on_cpu": 2}


def test_edgetpu_runtime_without_libedgetpu_is_a_platform_error(offline_exports, tmp_path):
    import ctypes.util

    if ctypes.util.find_library("edgetpu"):
        pytest.skip("libedgetpu is installed here; this test covers machines without it")
    art = Path(shutil.copy(offline_exports["int8_io"], tmp_path / "best_edgetpu.tflite"))
    with pytest.raises(PlatformNotSupportedError, match="libedgetpu.*Coral"):
        load_runtime(art)
