"""Run zygotes (bench/zygote.py): one import of a runtime backend per bench run, one process per row."""

from __future__ import annotations

import json
import time

import pytest

from yolocls.bench import isolation, zygote

pytestmark = pytest.mark.skipif(not zygote.enabled(), reason="zygotes need os.fork (not on Windows)")


def job(tmp_path, name, **kw):
    return {"result": str(tmp_path / f"{name}.result.json"), **kw}


def test_rows_fork_from_one_zygote_that_imported_the_backend_once_and_outlives_a_crash_and_a_hang(tmp_path):
    z = zygote.Zygote("onnx", tmp_path, threads=2, module="tests.bench.helpers")
    try:
        assert z.wait_ready(120) and z.info["error"] is None
        assert z.import_s > 0 and z.peak_rss_mb > 0
        a = z.run(job(tmp_path, "a"), 60, tmp_path / "a.log")
        b = z.run(job(tmp_path, "b"), 60, tmp_path / "b.log")
        assert a.exitcode == 0 and b.exitcode == 0 and not a.timed_out
        ra, rb = a.result, b.result
        # each row its own process and process group, the backend already imported, no torch, the threads
        # environment of a fresh child
        assert ra["pid"] != rb["pid"] and ra["pgid"] == ra["pid"] and rb["pgid"] == rb["pid"]
        assert ra["onnxruntime"] and not ra["torch"] and ra["omp"] == "2"
        # what the zygote imported is frozen out of the row's collections; the collector itself is on
        assert ra["gc_frozen"] > 10_000 and ra["gc_on"]
        assert "child started" in (tmp_path / "a.log").read_text()

        crash = z.run(job(tmp_path, "c", crash=True), 60, tmp_path / "c.log")
        assert crash.result is None and crash.exitcode == -11
        assert "crashed (SIGSEGV)" in crash.failure("runtime", 60, tmp_path / "c.log")

        t0 = time.monotonic()
        hang = z.run(job(tmp_path, "h", sleep=600), 3, tmp_path / "h.log")
        assert hang.timed_out and hang.result is None and time.monotonic() - t0 < 30
        assert hang.failure("runtime", 3) == "runtime timed out after 3 s (killed)"

        after = z.run(job(tmp_path, "d"), 60, tmp_path / "d.log")  # the zygote still serves
        assert after.exitcode == 0 and after.result["status"] == "ok"
    finally:
        z.close()
    assert z.proc.poll() is not None


def test_a_backend_that_does_not_import_still_gets_a_zygote_whose_rows_report_it(tmp_path):
    z = zygote.Zygote("no-such-format", tmp_path, threads=None, module="tests.bench.helpers")
    try:
        assert z.wait_ready(120)
        assert "no runtime registered for format 'no-such-format'" in z.info["error"]
        assert z.run(job(tmp_path, "a"), 60, tmp_path / "a.log").result["status"] == "ok"
    finally:
        z.close()


def test_a_dead_zygote_serves_nothing_so_the_row_runs_fresh(tmp_path):
    z = zygote.Zygote("onnx", tmp_path, threads=None, module="tests.bench.helpers")
    assert z.wait_ready(120)
    isolation._kill_group(z.proc.pid)
    z.proc.wait()
    assert z.run(job(tmp_path, "a"), 60, tmp_path / "a.log") is None
    z.close()


def test_formats_sharing_a_backend_share_a_zygote():
    assert zygote.backend_key("saved_model") == zygote.backend_key("pb") == ("tensorflow",)
    assert zygote.backend_key("onnx") != zygote.backend_key("openvino")
    assert zygote.backend_key("no-such-format") == ("<no-such-format>",)


def test_the_pool_imports_the_slowest_backend_first(tmp_path, monkeypatch):
    """TensorFlow's import (the longest) starts first, so that it overlaps the reading of the model."""
    monkeypatch.setattr(zygote.ZygotePool, "_start_all", lambda self: None)  # the order only: start nothing
    pool = zygote.ZygotePool(["onnx", "paddle", "pb", "saved_model", "ncnn"], tmp_path, None)
    assert list(pool._first.values()) == ["pb", "paddle", "onnx", "ncnn"]
    assert zygote.import_cost("pb") > zygote.import_cost("paddle") > zygote.import_cost("onnx")
    assert zygote.import_cost("no-such-format") == 0.0


def test_a_bench_row_reports_its_backend_import_apart_from_its_load(ultralytics_fixture, monkeypatch):
    """Through the bench itself: onnx rows fork from the onnxruntime zygote; with zygotes off they do not."""
    from yolocls.bench.runner import Bench

    pytest.importorskip("onnxruntime")
    model = ultralytics_fixture
    rows = Bench(model=model, data="digits", formats="onnx", imgsz=32, out=None, verbose=False, runs=20,
                 warmup=2).run().rows
    onnx = rows[1]
    assert onnx.status == "ok" and onnx.parity_passed
    assert onnx.import_s is not None and onnx.import_s > 0 and onnx.load_s < 5
    assert onnx.export_s is not None and onnx.export_s > 0
    monkeypatch.setenv(zygote.ENV_SWITCH, "0")
    fresh = Bench(model=model, data="digits", formats="onnx", imgsz=32, out=None, verbose=False, runs=20,
                  warmup=2).run().rows[1]
    assert fresh.status == "ok" and fresh.import_s is None
    json.dumps(onnx.to_dict())  # the row stays JSON-serialisable


def test_torch_runtimes_fork_from_the_torch_fork_server_not_a_zygote(ultralytics_fixture, monkeypatch):
    """TorchScript's backend is torch, which the fork server has imported: no zygote imports it again."""
    from yolocls.bench import runner
    from yolocls.bench.zygote import torch_backed

    started = []
    real = zygote.ZygotePool.__init__
    monkeypatch.setattr(zygote.ZygotePool, "__init__",
                        lambda self, formats, *a, **k: started.extend(formats) or real(self, formats, *a, **k))
    assert torch_backed("torchscript") and torch_backed("executorch")
    assert not torch_backed("onnx") and not torch_backed("no-such-format")
    rows = runner.Bench(model=ultralytics_fixture, data="digits", formats="torchscript,onnx", imgsz=32, out=None,
                        verbose=False, runs=20, warmup=2).run().rows
    ts = next(r for r in rows if r.format == "torchscript")
    assert ts.status == "ok" and ts.parity_passed and ts.import_s is not None and ts.load_s < 5
    assert ts.import_s < sum(ts.phases.values())  # the backend's import alone, not the row's run with it
    assert started == ["onnx"]
