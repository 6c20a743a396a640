"""Paddle: export through x2paddle without touching the network, load with Paddle Inference, round-trip to ONNX."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sys
import threading
import types

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.bench.parity import assert_parity
from yolocls.runtimes import load_runtime

pytestmark = [pytest.mark.paddle, pytest.mark.slow]


@contextlib.contextmanager
def no_network():
    """Every DNS lookup or connect in this process (any thread) is refused and recorded."""
    attempts: list[str] = []

    def refuse(what):
        def fn(*args, **kwargs):
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"network access during a test: {what}")
        return fn

    saved = {n: getattr(socket, n) for n in ("getaddrinfo", "create_connection")}
    saved_sock = {n: getattr(socket.socket, n) for n in ("connect", "connect_ex")}
    before = set(threading.enumerate())
    for n in saved:
        setattr(socket, n, refuse(n))
    for n in saved_sock:
        setattr(socket.socket, n, refuse(f"socket.{n}"))
    try:
        yield attempts
        for t in set(threading.enumerate()) - before:  # e.g. a feedback thread: let it try before we look
            t.join(timeout=10)
    finally:
        for n, f in saved.items():
            setattr(socket, n, f)
        for n, f in saved_sock.items():
            setattr(socket.socket, n, f)


@pytest.fixture(scope="module")
def paddle_export(digits_ckpt, tmp_path_factory):
    """One export for the module, with the network guard on: (artifact path, network attempts)."""
    ckpt = shutil.copy(digits_ckpt, tmp_path_factory.mktemp("paddle") / "best.pt")
    with no_network() as attempts:
        path = YOLO(ckpt).export(format="paddle")
    return path, attempts


def test_export_opens_no_socket(paddle_export):
    _, attempts = paddle_export
    assert attempts == []


def test_export_in_a_fresh_process_has_no_import_noise_or_thread_setting(digits_ckpt, tmp_path):
    """x2paddle imports paddle itself: imported first, paddle's "No ccache found" warning would become the
    export's note and its OMP_NUM_THREADS=1 would stay in os.environ for everything after."""
    from .conftest import run_python

    ckpt = shutil.copy(digits_ckpt, tmp_path / "best.pt")
    out = run_python(f"""
        import json, os
        os.environ.pop("OMP_NUM_THREADS", None)
        from yolocls import YOLO
        from yolocls.engine.export_many import export_one
        res = export_one(YOLO({str(ckpt)!r}), "paddle")
        print(json.dumps({{"status": res.status, "reason": res.reason, "omp": os.environ.get("OMP_NUM_THREADS")}}))
        """, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    res = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    assert res["status"] == "ok" and "ccache" not in (res["reason"] or "") and res["omp"] is None, res


def test_network_guard_catches_x2paddle_feedback():
    """The guard above is able to fail: x2paddle's own usage-statistics thread is caught by it."""
    from x2paddle.utils import ConverterCheck

    with no_network() as attempts:
        ConverterCheck(task="PyTorch", time_info=0, convert_state="Start").start()
    assert attempts and attempts[0].startswith("getaddrinfo")


def test_artifact_holds_only_what_inference_needs(paddle_export, digits_val):
    path, _ = paddle_export
    folder = __import__("pathlib").Path(path)
    assert folder.name == "best_paddle_model"
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.yaml", "model.json", "model.pdiparams"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["best.pt", "best_paddle_model"]  # no scratch left
    # x2paddle puts its save_dir on sys.path to import its generated module: both are undone
    assert not any("x2paddle" in p for p in sys.path) and "x2paddle_code" not in sys.modules
    rt = load_runtime(folder)
    assert rt.name == "paddle" and rt.names == digits_val[2] and rt.metadata["versions"]["x2paddle"]


def test_runtime_options_and_batches_agree(paddle_export, digits_val, digits_ref):
    """Threads/oneDNN settings do not change the answer; a static batch-1 artifact takes any batch size."""
    x = digits_val[0][:7]
    fast = load_runtime(paddle_export[0]).predict(x)
    plain = load_runtime(paddle_export[0], threads=1, onednn=False).predict(x)
    assert fast.shape == (7, 10)
    np.testing.assert_allclose(fast, plain, atol=1e-6)
    np.testing.assert_allclose(fast, digits_ref[:7], atol=1e-5)


def test_program_leaves_the_batch_free_and_takes_a_batch_in_one_call(paddle_export, digits_val, digits_ref):
    """x2paddle would save the traced example's batch (1); ours declares -1, so 40 images are one call."""
    from yolocls.runtimes.paddle import MODEL_FILE, batch_of_program

    folder = __import__("pathlib").Path(paddle_export[0])
    assert batch_of_program(folder / MODEL_FILE) == -1
    rt = load_runtime(folder)
    assert rt.batch == 1 and rt.free_batch
    calls = []
    forward = rt.forward
    rt.forward = lambda x: calls.append(len(x)) or forward(x)
    np.testing.assert_allclose(rt.predict(digits_val[0][:40]), digits_ref[:40], atol=1e-5)
    assert calls == [40]


def test_batch_of_a_static_or_unreadable_program(tmp_path):
    from yolocls.runtimes.paddle import batch_of_program

    data = {"#": "1.data", "A": [{"AT": {"#": "1.a_intarray", "D": [1, 3, 32, 32]}, "N": "shape"}]}
    prog = tmp_path / "model.json"
    prog.write_text(__import__("json").dumps({"program": {"regions": [{"blocks": [{"ops": [data]}]}]}}))
    assert batch_of_program(prog) == 1
    prog.write_text("{not json")
    assert batch_of_program(prog) is None
    assert batch_of_program(tmp_path / "model.pdmodel") is None


def test_paddle2onnx_round_trip_gives_the_same_probabilities(paddle_export, digits_val, digits_ref, tmp_path):
    """Paddle model -> paddle2onnx -> ONNX Runtime agrees with the .pt, so a broken conversion cannot hide."""
    import subprocess

    import onnxruntime as ort

    from yolocls.runtimes.paddle import find_model_files

    prog, params = find_model_files(__import__("pathlib").Path(paddle_export[0]))
    out = tmp_path / "roundtrip.onnx"
    # paddle2onnx segfaults in a process where TensorFlow is loaded (other tests load it): own process.
    code = ("import paddle2onnx, sys; paddle2onnx.export(sys.argv[1], sys.argv[2], sys.argv[3], "
            "opset_version=17, enable_onnx_checker=True)")
    r = subprocess.run([sys.executable, "-c", code, str(prog), str(params), str(out)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and out.is_file(), r.stderr[-2000:]
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x, labels, names = digits_val
    probs = np.concatenate([sess.run(None, {sess.get_inputs()[0].name: x[i:i + 1]})[0] for i in range(len(x))])
    assert_parity(probs, digits_ref, labels, precision="fp32", fmt="paddle->paddle2onnx")
    np.testing.assert_allclose(probs, load_runtime(paddle_export[0]).predict(x), atol=1e-5)


def test_import_paddle_refuses_after_tensorflow(monkeypatch):
    """Instead of the segfault that `import tensorflow; import paddle` gives, a clear error."""
    from yolocls.runtimes.paddle import import_paddle

    monkeypatch.delitem(sys.modules, "paddle", raising=False)
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    with pytest.raises(RuntimeError, match="paddle cannot be imported after TensorFlow"):
        import_paddle()
