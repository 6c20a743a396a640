"""A child that crashes or hangs costs its row only: the parent gets a reason, never an exception."""

from __future__ import annotations

import time

from yolocls.bench import isolation

from . import helpers


def test_forked_child_result_comes_back(tmp_path):
    oc = isolation.forked(helpers.answer, {"value": 21, "result": str(tmp_path / "r.json")}, 60, tmp_path / "log")
    assert oc.result is not None and oc.result["value"] == 42 and oc.exitcode == 0
    assert not oc.timed_out


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
    assert oc.exitcode == 0 and oc.result == {"status": "ok", "slept": 0}
