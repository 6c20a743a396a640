"""Child-process bodies for the isolation tests (importable by reference from a forked or fresh child)."""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any


def segfault(job: dict[str, Any]) -> dict[str, Any]:
    print("about to crash", flush=True)
    os.kill(os.getpid(), signal.SIGSEGV)
    return {"status": "ok"}  # never reached


def gc_state(job: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "gc_frozen": gc.get_freeze_count(), "gc_on": gc.isenabled(),
            "torch": "torch" in sys.modules}


def answer(job: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "pid": os.getpid(), "value": job["value"] * 2}


_memory: dict[str, Any] = {}


def remember(job: dict[str, Any]) -> dict[str, Any]:
    """Keep a value in this process; a later job in the same worker reads it back with `recall`."""
    _memory["value"] = job["value"]
    return {"status": "ok", "pid": os.getpid()}


def recall(job: dict[str, Any]) -> dict[str, Any]:
    print("recalling", flush=True)
    return {"status": "ok", "pid": os.getpid(), "value": _memory.get("value")}


def hang(job: dict[str, Any]) -> dict[str, Any]:
    time.sleep(600)
    return {"status": "ok"}


def main(argv: list[str]) -> None:
    """A row child's stand-in (a fresh child or one forked from a zygote): crashes if job['crash'], sleeps
    job['sleep'] s, then answers with its process facts."""
    job = json.loads(Path(argv[0]).read_text())
    print("child started", flush=True)
    if job.get("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    time.sleep(job.get("sleep", 0))
    Path(job["result"]).write_text(json.dumps({
        "status": "ok", "slept": job.get("sleep", 0), "pid": os.getpid(), "pgid": os.getpgid(0),
        "torch": "torch" in sys.modules, "onnxruntime": "onnxruntime" in sys.modules,
        "omp": os.environ.get("OMP_NUM_THREADS"), "gc_frozen": gc.get_freeze_count(), "gc_on": gc.isenabled()}))


if __name__ == "__main__":  # `python -m tests.bench.helpers JOB.json`
    main(sys.argv[1:])
