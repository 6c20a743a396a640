"""Benchmark results as files the docs quote: one JSON per benchmark with its date, command and machine.

`write_result("benchmarks/results/train_digits.json", "train_digits", figures)` writes
`{"benchmark", "date", "command", "machine", "results"}` atomically; `scripts/docs_figures.py` renders the
docs' tables from these files, so no figure in README.md or docs/ is typed by hand.
"""

from __future__ import annotations

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yolocls._io import write_text
from yolocls.bench.environment import manifest


def write_result(path: str | Path, benchmark: str, results: Any, modules: list[str] | None = None) -> Path:
    """Write one benchmark's figures with the date, the command line and the machine's manifest."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    argv = [Path(sys.argv[0]).as_posix(), *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    doc = {"benchmark": benchmark, "date": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
           "command": "python " + shlex.join(argv) if argv else None, "machine": manifest(modules),
           "results": results}
    write_text(path, json.dumps(doc, indent=2, default=str) + "\n")
    return path
