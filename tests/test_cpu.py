"""yolocls._cpu: the thread counts chosen for a given load, and the load it measures from a real busy process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from yolocls import _cpu


@pytest.mark.parametrize(("cores", "busy", "workers", "threads"), [
    (2, 0, 0, 2),  # idle: every core
    (2, 1, 0, 1),  # one core busy: the one-thread run, which does not stall at barriers
    (2, 2, 0, 1),  # all busy: still one
    (2, 0, 1, 1),  # a loader worker takes a core
    (16, 3, 2, 11),
    (1, 0, 0, 1),
    (4, 9, 0, 1),  # more load than cores (a load average above them)
])
def test_pick_threads_leaves_busy_cores_and_workers_alone(cores, busy, workers, threads):
    assert _cpu.pick_threads(cores, busy, workers) == threads


@pytest.mark.skipif(_cpu.foreign_load(0.01) is None, reason="no /proc/stat on this OS (the load average stands in)")
@pytest.mark.skipif(_cpu.usable_cores() < 2, reason="one usable core: nothing to leave free")
def test_a_cpu_burning_process_is_seen_and_its_core_is_left_alone(monkeypatch):
    burner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        time.sleep(0.3)
        monkeypatch.setattr(_cpu, "_cached", None)
        assert _cpu.foreign_load(0.3) >= 0.6
        monkeypatch.setattr(_cpu, "_cached", None)
        assert _cpu.compute_threads() <= _cpu.usable_cores() - 1
        assert _cpu.compute_threads(workers=_cpu.usable_cores()) == 1
    finally:
        burner.kill()
        burner.wait()
