"""The bench on a busy machine: other processes' CPU use is measured as the run starts (not read from the load
average, which lags by a minute), and only a machine busy now gets fewer threads and export lanes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from yolocls import _cpu
from yolocls.bench import runner

needs_proc_stat = pytest.mark.skipif(_cpu.foreign_load(0.01) is None,
                                     reason="no /proc/stat on this OS (the load average stands in)")


@needs_proc_stat
def test_a_high_load_average_left_by_a_finished_job_is_not_a_busy_machine(monkeypatch):
    monkeypatch.setattr(_cpu, "foreign_load", lambda window=0.1: 0.0)  # idle now, whatever the average says
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    bench = runner.Bench(model="m.pt", data="digits", formats="onnx", out=None, verbose=False)
    assert bench._threads_on_busy_machine() == 0.0
    assert bench.threads is None and bench.threads_note is None


@needs_proc_stat
@pytest.mark.skipif(_cpu.usable_cores() < 2, reason="one usable core: nothing to leave free")
def test_a_cpu_burning_process_takes_its_core_from_the_runtimes_and_the_export_lanes():
    burner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        time.sleep(0.3)
        bench = runner.Bench(model="m.pt", data="digits", formats="onnx", out=None, verbose=False)
        foreign = bench._threads_on_busy_machine()
    finally:
        burner.kill()
        burner.wait()
    cores = _cpu.usable_cores()
    assert foreign >= 0.6 and bench.threads == _cpu.pick_threads(cores, _cpu.cores_taken(foreign)) < cores
    assert f"other processes used {foreign:.1f} of its {cores} cores" in bench.threads_note
    assert f"ran with {bench.threads} thread" in bench.threads_note


def test_the_busy_warning_reads_the_measured_load_and_old_reports_the_load_average():
    from yolocls.bench.report_table import busy_warning

    from .fake_report import fake_report

    report = fake_report()
    report.environment.update(cores=2, load_average={"start": 5.0})
    report.environment["foreign_load_start"] = 0.1
    assert busy_warning(report) is None  # measured idle at the start: the average's 5.0 was a finished job
    report.environment["foreign_load_start"] = 1.8
    assert "other processes used 1.8 of its 2 cores" in busy_warning(report)
    del report.environment["foreign_load_start"]  # a report from before the measurement
    assert "load average 5.0 on 2 cores" in busy_warning(report)


def test_without_proc_stat_the_load_average_decides(monkeypatch):
    monkeypatch.setattr(_cpu, "foreign_load", lambda window=0.1: None)  # macOS, Windows
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    idle = runner.Bench(model="m.pt", data="digits", formats="onnx", out=None, verbose=False)
    assert idle._threads_on_busy_machine() is None and idle.threads_note is None
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    busy = runner.Bench(model="m.pt", data="digits", formats="onnx", out=None, verbose=False)
    assert busy._threads_on_busy_machine() is None
    assert busy.threads == 1 and "load average 9.0" in busy.threads_note
