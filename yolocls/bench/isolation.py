"""Child processes with a time limit: a crash (segfault) or a hang costs one row, never the whole run.

Three kinds of child, all reporting through a JSON result file:
- forked from a fork server that has imported torch once (`forked`): for the jobs that need PyTorch
  (reading the checkpoint, the reference run), so each does not pay torch's multi-second import again;
- a `Worker` forked the same way that runs jobs one after another (the exports): a converter imported by
  one export stays imported for the next (TensorFlow alone takes ~10 s to import here, and five formats
  go through it); a job that crashes or hangs takes the worker down, and the next job gets a fresh one;
- a fresh interpreter (`fresh`): for loading and timing an artifact, so the runtime is measured with only
  its own imports (honest start-up, memory and threading) and nothing torch left behind.
Each child leads its own process group, so a converter's or runtime's helper processes die with it.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io import write_text

# Imported once by the fork server: children forked from it start with PyTorch and the model code loaded
# (bench/preload.py). (Nothing there loads the format plugins: a child must discover third-party plugins itself.)
PRELOAD = ["yolocls.bench.preload"]
_ctx: Any = None


@dataclass
class Outcome:
    """What came back from a child: its result dict, or why there is none."""

    result: dict[str, Any] | None
    seconds: float
    exitcode: int | None
    timed_out: bool = False

    def failure(self, what: str, timeout: float, log: Path | None = None) -> str:
        """One line saying why the child gave no result."""
        if self.timed_out:
            return f"{what} timed out after {timeout:g} s (killed)"
        code = self.exitcode
        if code is not None and code < 0:
            try:
                sig = signal.Signals(-code).name
            except ValueError:
                sig = f"signal {-code}"
            how = f"crashed ({sig})"
        else:
            how = f"exited with code {code} without a result"
        tail = last_line(log) if log else ""
        return f"{what} {how}" + (f": {tail}" if tail else "")


def last_line(log: Path, limit: int = 200) -> str:
    """The last non-empty line of a child's log (the clue a crash leaves)."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:limit] if lines else ""


def _context() -> Any:
    global _ctx
    if _ctx is None:
        if "forkserver" in mp.get_all_start_methods():
            _ctx = mp.get_context("forkserver")
            _ctx.set_forkserver_preload(PRELOAD)
        else:  # Windows
            _ctx = mp.get_context("spawn")
    return _ctx


@contextlib.contextmanager
def clean_main() -> Iterator[None]:
    """Start children as from a clean interpreter (`python -c`): multiprocessing re-imports the parent's
    `__main__` in every child to find functions defined there, so a plain user script that calls the bench at
    module level, without an `if __name__ == "__main__":` guard, would run again in each child and fail there
    ("bootstrapping phase"). Every target here lives in yolocls, so no child needs the user's main module."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def start_fork_server() -> None:
    """Start the fork server now (its torch import can overlap other work); later forks reuse it."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _read_result(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _forked_main(target: Callable[[dict[str, Any]], dict[str, Any]], job: dict[str, Any], log: str) -> None:
    os.setsid()  # own process group: a timeout kills the converter's helpers too
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives as long as the child
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    write_result(Path(job["result"]), target(job))


def forked(target: Callable[[dict[str, Any]], dict[str, Any]], job: dict[str, Any], timeout: float,
           log: Path) -> Outcome:
    """Run `target(job)` in a child forked from the torch fork server; it returns the result dict."""
    result = Path(job["result"])
    result.unlink(missing_ok=True)
    # Not a daemon: converters may start processes of their own.
    p = _context().Process(target=_forked_main, args=(target, job, str(log)))
    t0 = time.perf_counter()
    with clean_main():
        p.start()
    try:
        p.join(timeout)
    except BaseException:  # Ctrl-C: the child leads its own session, so it would outlive us
        _kill_group(p.pid)
        raise
    timed_out = p.is_alive()
    if timed_out:
        _kill_group(p.pid)
        p.join()
    return Outcome(_read_result(result), time.perf_counter() - t0, p.exitcode, timed_out)


def _redirect(log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _worker_main(conn: Any) -> None:
    os.setsid()  # own process group: a timeout kills the converter's helpers too
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives as long as the worker
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the parent is gone
            return
        if msg is None:
            return
        target, job, log = msg
        sys.stdout.flush()
        sys.stderr.flush()
        _redirect(log)  # each job's output goes to its own log
        try:
            write_result(Path(job["result"]), target(job))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        conn.send(True)


class Worker:
    """A child forked from the fork server that runs `target(job)` calls one after another.

    Modules a job imports stay imported for the next job (the point: converters with slow imports are paid
    for once per run). Each call has its own time limit and log; a call that crashes the worker or runs out
    of time kills it (and its process group) and returns an Outcome that says so, and the next call starts a
    fresh worker. Use as a context manager, or call `close()`.
    """

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        ctx = _context()
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_worker_main, args=(child,))  # not a daemon: converters start processes
        with clean_main():
            self._proc.start()
        child.close()
        self._conn = parent

    def _discard(self) -> int | None:
        """Kill the worker's process group; its exit code (negative: the signal that ended it)."""
        proc, self._proc = self._proc, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if proc is None:
            return None
        proc.join(1)  # a crashed worker has already ended: keep its own exit code
        if proc.is_alive():
            _kill_group(proc.pid)
            proc.join()
        return proc.exitcode

    def run(self, target: Callable[[dict[str, Any]], dict[str, Any]], job: dict[str, Any], timeout: float,
            log: Path) -> Outcome:
        """Run `target(job)` in the worker (starting one if needed); like `forked`, but the worker lives on."""
        result = Path(job["result"])
        result.unlink(missing_ok=True)
        t0 = time.perf_counter()
        if self._proc is None or not self._proc.is_alive():
            self._discard()
            self._start()
        try:
            self._conn.send((target, job, str(log)))
            done = self._conn.poll(timeout)
            ok = done and self._conn.recv() is True
        except (EOFError, OSError):  # the worker died during the job (BrokenPipeError is an OSError)
            done, ok = True, False
        except BaseException:  # Ctrl-C: the worker leads its own session, so it would outlive us
            self._discard()
            raise
        if ok:
            return Outcome(_read_result(result), time.perf_counter() - t0, 0)
        code = self._discard()
        return Outcome(_read_result(result), time.perf_counter() - t0, code, timed_out=not done)

    def kill(self) -> None:
        """Kill the worker's process group now, from any thread: a `run` waiting on it in another thread sees
        the pipe close and returns a failed Outcome (the pipe itself is left to that `run` to discard)."""
        proc = self._proc
        if proc is not None and proc.pid is not None and proc.is_alive():
            _kill_group(proc.pid)

    def close(self, wait: float = 10) -> None:
        """Ask the worker to exit; kill it if it does not within `wait` seconds (0: kill it now)."""
        if wait and self._proc is not None and self._proc.is_alive() and self._conn is not None:
            try:
                self._conn.send(None)
                self._proc.join(wait)
            except OSError:
                pass
        self._discard()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def fresh(module: str, job: dict[str, Any], timeout: float, log: Path, env: dict[str, str] | None = None) -> Outcome:
    """Run `python -m module JOB.json` in a fresh interpreter; the child writes job['result']."""
    result = Path(job["result"])
    result.unlink(missing_ok=True)
    job_file = result.with_suffix(".job.json")
    write_result(job_file, job)
    t0 = time.perf_counter()
    with open(log, "ab") as fh:
        proc = subprocess.Popen([sys.executable, "-m", module, str(job_file)], stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            code = proc.wait(timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            code = proc.wait()
            timed_out = True
        except BaseException:  # Ctrl-C: take the child's process group down with us
            _kill_group(proc.pid)
            raise
    return Outcome(_read_result(result), time.perf_counter() - t0, code, timed_out)


def _kill_group(pid: int | None) -> None:
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def write_result(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON file atomically (a partial result must never be read as a result)."""
    write_text(path, json.dumps(data, default=str))


def child_env(threads: int | None) -> dict[str, str]:
    """The environment of a fresh child: this yolocls first on the path, and the thread count for runtimes
    that read it from the environment (OpenMP-based ones) as well as from the `threads` option."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding this yolocls package
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = str(threads)
    return env
