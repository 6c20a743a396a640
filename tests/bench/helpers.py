"""Child-process bodies for the isolation tests (importable by reference from a forked or fresh child)."""

from __future__ import annotations

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


def answer(job: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "pid": os.getpid(), "value": job["value"] * 2}


if __name__ == "__main__":  # `python -m tests.bench.helpers JOB.json`: sleeps job['sleep'] s, then answers
    job = json.loads(Path(sys.argv[1]).read_text())
    time.sleep(job.get("sleep", 0))
    Path(job["result"]).write_text(json.dumps({"status": "ok", "slept": job.get("sleep", 0)}))
