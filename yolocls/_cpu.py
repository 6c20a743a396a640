"""How many cores this process may use, and how many of them other processes are using right now.

On a shared machine a multi-threaded kernel waits at every barrier for a thread the OS has descheduled, so two
threads on two cores with one core busy ran eager PyTorch and training 3-60x slower than one thread did. Each
part that picks a thread count (training, predict, the bench) asks `free_cores()` first. Linux reads
/proc/stat over a short window (other processes' CPU time = all busy time minus this process's own); elsewhere
the 1-minute load average stands in.
"""

from __future__ import annotations

import math
import os
import time

# A core counts as taken once other processes keep it this busy (a quarter of a core already preempts our
# threads often enough to stall their barriers).
BUSY_SHARE = 0.25
_CACHE_S = 5.0  # free_cores() readings are reused this long: a predict call per image must not pay the window
_cached: tuple[float, float, int] | None = None  # (time, window, free cores)


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


PROC_STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def machine_cpu_times() -> dict[str, float] | None:
    """Seconds all cores of the machine have spent so far in each of PROC_STAT_FIELDS, from /proc/stat's
    first line (None where there is none)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:len(PROC_STAT_FIELDS) + 1]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return {k: v / tick for k, v in zip(PROC_STAT_FIELDS, fields, strict=False)}


def _busy_total() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far (None without /proc/stat). Steal counts as busy:
    a core the hypervisor took is a core our threads wait for."""
    t = machine_cpu_times()
    if t is None:
        return None
    total = sum(t.values())
    return total - t["idle"] - t.get("iowait", 0.0), total


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def foreign_load(window: float = 0.1) -> float | None:
    """Cores' worth of CPU that other processes used during the next `window` seconds (None without
    /proc/stat). Blocks for `window`."""
    a, own_a, t_a = _busy_total(), _own_cpu(), time.perf_counter()
    if a is None:
        return None
    time.sleep(window)
    b, own_b, t_b = _busy_total(), _own_cpu(), time.perf_counter()
    if b is None:
        return None
    return max(0.0, (b[0] - a[0]) - (own_b - own_a)) / max(t_b - t_a, 1e-3)


def cores_taken(load: float) -> int:
    """How many usable cores a foreign load of `load` cores' worth keeps busy (BUSY_SHARE or more of one)."""
    return min(usable_cores(), max(0, math.ceil(load - BUSY_SHARE)))


def other_load(window: float = 0.1) -> tuple[float, bool]:
    """Cores' worth of CPU other processes use: measured over `window` (`foreign_load`) where there is
    /proc/stat, else the 1-minute load average less this process (which lags by about a minute); the flag says
    it was measured. 0.0 where neither exists."""
    load = foreign_load(window)
    if load is not None:
        return load, True
    try:
        return max(0.0, os.getloadavg()[0] - 1.0), False  # the load average counts this process too
    except (AttributeError, OSError):
        return 0.0, False


def busy_cores(window: float = 0.1) -> int:
    """How many of the usable cores other processes are keeping busy (0 on an idle machine)."""
    return cores_taken(other_load(window)[0])


def pick_threads(cores: int, busy: int, workers: int = 0) -> int:
    """The compute threads for `cores` usable cores of which other processes keep `busy` busy, beside `workers`
    loader processes of our own: one per core left, at least one. (A thread more than the free cores waits at
    every barrier for a descheduled sibling: on 2 cores with one busy, 2 threads trained digits 3.7x slower than
    1 thread did.)"""
    return max(1, int(cores) - max(0, int(busy)) - max(0, int(workers)))


def free_cores(window: float = 0.1) -> int:
    """Usable cores that no other process is keeping busy, at least 1; reused for a few seconds."""
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < _CACHE_S and _cached[1] >= window:
        return _cached[2]
    free = pick_threads(usable_cores(), busy_cores(window))
    _cached = (time.monotonic(), window, free)
    return free


def compute_threads(workers: int = 0) -> int:
    """Threads for a compute pool (PyTorch, a runtime) started now beside `workers` loader processes: the free
    cores minus the workers, at least one. The bench and training call this."""
    return max(1, free_cores() - max(0, int(workers)))
