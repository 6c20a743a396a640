"""A child that crashes or hangs costs its row only: the parent gets a reason, never an exception."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from yolocls.bench import isolation

from . import helpers


def test_forked_child_result_comes_back(tmp_path):
    oc = isolation.forked(helpers.answer, {"value": 21, "result": str(tmp_path / "r.json")}, 60, tmp_path / "log")
    assert oc.result is not None and oc.result["value"] == 42 and oc.exitcode == 0
    assert not oc.timed_out


def test_forked_children_start_with_torch_imported_and_frozen_out_of_their_collections(tmp_path):
    oc = isolation.forked(helpers.gc_state, {"result": str(tmp_path / "r.json")}, 60, tmp_path / "log")
    assert oc.result["torch"] and oc.result["gc_on"] and oc.result["gc_frozen"] > 100_000


def test_the_fork_server_ends_without_tearing_torch_down():
    """The preload's exit handler runs first and ends the process at once (here: with 0, not sys.exit's 3)."""
    code = "import sys, atexit; atexit.register(print, 'teardown ran'); import yolocls.bench.preload; sys.exit(3)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "teardown ran" not in out.stdout, out.stderr[-2000:]


def test_segfaulting_child_is_reported_as_a_crash_with_its_last_log_line(tmp_path):
    log = tmp_path / "crash.log"
    oc = isolation.forked(helpers.segfault, {"result": str(tmp_path / "r.json")}, 60, log)
    assert oc.result is None and oc.exitcode == -11
    msg = oc.failure("runtime", 60, log)
    assert "crashed (SIGSEGV)" in msg and "about to crash" in msg


def test_hanging_fresh_child_is_killed_at_the_time_limit(tmp_path):
    job = {"sleep": 600, "result": str(tmp_path / "r.json")}
    t0 = time.perf_counter()
    oc = isolation.fresh("tests.bench.helpers", job, 3, tmp_path / "log", env=isolation.child_env(None))
    assert time.perf_counter() - t0 < 30  # 3 s limit, plus interpreter start-up on a loaded machine
    assert oc.timed_out and oc.result is None
    assert oc.failure("runtime", 3, tmp_path / "log") == "runtime timed out after 3 s (killed)"


def test_fresh_child_result_is_read_back(tmp_path):
    oc = isolation.fresh("tests.bench.helpers", {"sleep": 0, "result": str(tmp_path / "r.json")}, 120,
                         tmp_path / "log", env=isolation.child_env(2))
    assert oc.exitcode == 0 and oc.result["status"] == "ok" and oc.result["slept"] == 0
    assert oc.result["omp"] == "2" and not oc.result["torch"]  # the thread environment; nothing torch


def test_worker_keeps_state_between_jobs_and_replaces_itself_after_a_crash_or_hang(tmp_path):
    def job(i, **kw):
        return {"result": str(tmp_path / f"r{i}.json"), **kw}

    with isolation.Worker() as w:
        first = w.run(helpers.remember, job(1, value=7), 60, tmp_path / "1.log")
        second = w.run(helpers.recall, job(2), 60, tmp_path / "2.log")
        # Same process: what the first job imported or kept is there for the second.
        assert first.result["pid"] == second.result["pid"] and second.result["value"] == 7
        assert (tmp_path / "2.log").read_text() == "recalling\n" and (tmp_path / "1.log").read_text() == ""

        crash = w.run(helpers.segfault, job(3), 60, tmp_path / "3.log")
        assert crash.result is None and crash.exitcode == -11 and not crash.timed_out
        assert "crashed (SIGSEGV)" in crash.failure("export", 60, tmp_path / "3.log")
        after = w.run(helpers.recall, job(4), 60, tmp_path / "4.log")
        assert after.result["pid"] != first.result["pid"] and after.result["value"] is None  # a fresh worker

        t0 = time.perf_counter()
        hung = w.run(helpers.hang, job(5), 2, tmp_path / "5.log")
        assert hung.timed_out and hung.result is None and time.perf_counter() - t0 < 30
        assert hung.failure("export", 2) == "export timed out after 2 s (killed)"
        last = w.run(helpers.answer, job(6, value=1), 60, tmp_path / "6.log")
        assert last.result["value"] == 2 and last.result["pid"] != after.result["pid"]
        pid = last.result["pid"]
    with pytest.raises(ProcessLookupError):  # closed: the worker has exited
        os.kill(pid, 0)
