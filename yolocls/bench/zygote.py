"""Runtime zygotes: one fresh interpreter per runtime backend imports that backend once, then forks one child per
artifact of that backend, so a bench run pays TensorFlow's multi-second import once instead of once per
TensorFlow row, and pays it while the exports still run instead of on the critical path.

Each row still gets its own process (a crash or hang costs that row only; its own process group, log, result
file and time limit), with only its backend imported, no torch left behind (unless the backend is torch),
and the thread environment of a fresh child (`isolation.child_env`). What changes, and the report says so:
a row's `load_s` is the artifact's load with the backend already imported; the import itself is the row's
`import_s`, measured once in the zygote (beside the exports); peak memory is the larger of the zygote's peak
(the import's) and the row child's own peak (which starts at the zygote's footprint: fork copies it).

Zygotes need `os.fork` (not on Windows) and can be switched off with YOLOCLS_BENCH_ZYGOTES=0; a row then runs
in a fresh interpreter as before (`isolation.fresh`), as does a row whose zygote died.

Run as `python -m yolocls.bench.zygote FORMAT SYS_PATH_JSON`; JSON lines on stdin/stdout are its protocol.
"""

from __future__ import annotations

import json
import os
import resource
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import isolation

ENV_SWITCH = "YOLOCLS_BENCH_ZYGOTES"
CHILD = "yolocls.bench.child"  # the module whose main([JOB.json]) each forked child runs


def enabled() -> bool:
    """Zygotes are used where processes can fork, unless YOLOCLS_BENCH_ZYGOTES=0."""
    return hasattr(os, "fork") and os.environ.get(ENV_SWITCH, "1") != "0"


def backend_key(fmt: str) -> tuple[str, ...]:
    """Formats whose runtimes import the same backend share a zygote (saved_model and pb: TensorFlow)."""
    from ..runtimes import get_runtime

    try:
        return tuple(get_runtime(fmt).backend_modules)
    except Exception:  # no runtime registered: a zygote of its own, whose row's load says what is wrong
        return (f"<{fmt}>",)


def torch_backed(fmt: str) -> bool:
    """True when `fmt`'s runtime imports torch first (TorchScript, ExecuTorch): its rows fork from the torch fork
    server, which has torch imported already, instead of from a zygote of their own."""
    return backend_key(fmt)[:1] == ("torch",)


def import_cost(fmt: str) -> float:
    """The runtime's own estimate of its backend's import time (`Runtime.import_cost_s`)."""
    from ..runtimes import get_runtime

    try:
        return float(get_runtime(fmt).import_cost_s)
    except Exception:
        return 0.0


# --- the bench's side ---------------------------------------------------------------------------------------
class Zygote:
    """A zygote for the runtime of `fmt` (and of every format with the same backend), started at once; it
    imports in the background. `run()` forks a child from it for one job."""

    def __init__(self, fmt: str, work: Path, threads: int | None, module: str = CHILD):
        self.fmt, self.module = fmt, module
        self.log = work / f"zygote-{fmt}.log"
        self.info: dict[str, Any] | None = None  # the ready message: import_s, peak_rss_mb, error
        self._buf = b""
        self._lock = threading.Lock()  # one job at a time, and readiness read once
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", __name__, fmt, json.dumps(sys.path)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=fh, env=isolation.child_env(threads), start_new_session=True)

    def _send(self, msg: dict[str, Any]) -> bool:
        try:
            self.proc.stdin.write((json.dumps(msg) + "\n").encode())
            self.proc.stdin.flush()
            return True
        except (OSError, ValueError):  # the zygote is gone
            return False

    def _read(self, deadline: float) -> dict[str, Any] | None:
        """The next message, or None at EOF (the zygote died) or at `deadline`."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def wait_ready(self, timeout: float) -> bool:
        """True once the backend is imported (or failed to import: the row's load then says why); False when
        the zygote died or did not get there within `timeout` s (it is then closed)."""
        with self._lock:
            if self.info is None and self.proc.poll() is None:
                self.info = self._read(time.monotonic() + timeout)
            if self.info is None:
                self.close(wait=0)
            return self.info is not None

    @property
    def import_s(self) -> float | None:
        return (self.info or {}).get("import_s")

    @property
    def peak_rss_mb(self) -> float | None:
        return (self.info or {}).get("peak_rss_mb")

    def run(self, job: dict[str, Any], timeout: float, log: Path) -> isolation.Outcome | None:
        """Run `python -m yolocls.bench.child`'s job in a child forked from the zygote, within `timeout` s
        (counted from now, the backend's import included if it is not done yet). None when the zygote cannot
        serve it (it died, or never got ready): run the job fresh instead."""
        t0 = time.monotonic()
        if not self.wait_ready(timeout):
            return None
        result = Path(job["result"])
        result.unlink(missing_ok=True)
        job_file = result.with_suffix(".job.json")
        isolation.write_result(job_file, job)
        with self._lock:
            if not self._send({"job": str(job_file), "log": str(log), "module": self.module}):
                return None
            started = self._read(time.monotonic() + 30)
            if not started:
                return None
            pid, timed_out = int(started["pid"]), False
            try:
                done = self._read(t0 + timeout)
                if done is None and self.proc.poll() is None:  # out of time: kill the child, keep the zygote
                    timed_out = True
                    isolation._kill_group(pid)
                    done = self._read(time.monotonic() + 10)
            except BaseException:  # Ctrl-C: the child leads its own session, so it would outlive us
                isolation._kill_group(pid)
                raise
        if done is None:  # the zygote died under the child: the child's fate is unknown, so end it
            isolation._kill_group(pid)
        code = done.get("exit") if done else None
        return isolation.Outcome(isolation._read_result(result), time.monotonic() - t0, code, timed_out)

    def close(self, wait: float = 5) -> None:
        """End the zygote (its children have ended: each run waits for its own)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # EOF: the zygote exits
                self.proc.wait(wait)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            isolation._kill_group(self.proc.pid)
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


class ZygotePool:
    """The zygotes of one bench run, started one after another in the background (one import at a time
    beside the exports), the slowest import first, each closed after the last format that uses it."""

    def __init__(self, formats: list[str], work: Path, threads: int | None):
        self._last: dict[tuple[str, ...], str] = {}
        self._first: dict[tuple[str, ...], str] = {}
        for fmt in formats:
            key = backend_key(fmt)
            self._first.setdefault(key, fmt)
            self._last[key] = fmt
        self._first = dict(sorted(self._first.items(), key=lambda kv: -import_cost(kv[1])))  # slowest first
        self._zygotes: dict[tuple[str, ...], Zygote] = {}
        self._started: dict[tuple[str, ...], threading.Event] = {k: threading.Event() for k in self._first}
        self._stop = threading.Event()
        self._work, self._threads = work, threads
        self._thread = threading.Thread(target=self._start_all, name="bench-zygotes", daemon=True)
        self._thread.start()

    def _start_all(self) -> None:
        for key, fmt in self._first.items():
            if self._stop.is_set():
                break
            try:
                self._zygotes[key] = z = Zygote(fmt, self._work, self._threads)
            except OSError:  # no zygote: its rows run fresh
                continue
            finally:
                self._started[key].set()
            z.wait_ready(600)  # one import at a time: the exports keep the other core

    def zygote(self, fmt: str) -> Zygote | None:
        """The started zygote for `fmt`'s backend (None: not started, or not one of this run's formats)."""
        key = backend_key(fmt)
        if key not in self._started:
            return None
        self._started[key].wait()
        return self._zygotes.get(key)

    def done_with(self, fmt: str) -> None:
        """Close `fmt`'s zygote if `fmt` was the last format using it (its memory goes back at once)."""
        key = backend_key(fmt)
        if self._last.get(key) == fmt and key in self._zygotes:
            self._zygotes.pop(key).close()

    def wait_all(self, timeout: float = 600) -> None:
        """Wait until every zygote has imported its backend (or failed to), so that no import runs while an
        artifact is timed."""
        self._thread.join(timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for z in self._zygotes.values():
            z.close(wait=0)
        self._zygotes.clear()


# --- the zygote's side --------------------------------------------------------------------------------------
def _reply(out: Any, msg: dict[str, Any]) -> None:
    out.write(json.dumps(msg) + "\n")
    out.flush()


def _child(module: str, job_file: str, log: str, control: list[int]) -> None:
    """In the forked child: a process group and log of its own, then `module.main([job_file])` (the row's
    measurements; they write the result file)."""
    try:
        os.setsid()
        for fd in control:
            os.close(fd)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        import importlib

        importlib.import_module(module).main([job_file])  # bench/child.py leaves with os._exit(0) itself
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    finally:
        os._exit(1)


def main(argv: list[str]) -> int:
    fmt, paths = argv[0], json.loads(argv[1])
    sys.path += [p for p in paths if p not in sys.path]  # the parent's plugins
    control_in, control_out = os.dup(0), os.dup(1)
    os.dup2(2, 1)  # the backend's prints go to the zygote's log, not into the protocol
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    out = os.fdopen(control_out, "w", buffering=1)
    t0 = time.perf_counter()
    error = None
    try:
        from .._backends import freeze_after_imports, gc_paused

        freeze_after_imports()  # the rows forked from here collect only their own objects
        with gc_paused():
            from ..runtimes import get_runtime
            from . import child  # noqa: F401 - what every row imports, imported once

            get_runtime(fmt).import_backend()
    except Exception as e:  # the row's own load reports it (a missing package names its extra)
        error = f"{type(e).__name__}: {e}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    _reply(out, {"ready": True, "import_s": round(time.perf_counter() - t0, 3), "peak_rss_mb": peak,
                 "error": error})
    for line in os.fdopen(control_in, "r"):
        msg = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(msg.get("module", CHILD), msg["job"], msg["log"], [control_out, control_in])
        _reply(out, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        _reply(out, {"exit": os.waitstatus_to_exitcode(status)})
    sys.stderr.flush()
    os._exit(0)  # EOF from the bench: nothing to clean up (every child was waited for), so skip the teardown


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
