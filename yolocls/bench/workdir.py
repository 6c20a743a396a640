"""The bench's scratch folder (`$TMPDIR/yolocls-bench-*`: the preprocessed val split, the artifacts, the children's
logs): removed when the run ends, and, for a run that was killed (SIGKILL, power loss), by the next run.

A running bench holds an advisory lock on its folder; a folder whose lock is free and that has not changed for
a while belongs to a bench that is gone. The lock dies with its process, so no PID file can go stale and a PID
reused by another process is never mistaken for the bench.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "yolocls-bench-"
QUIET_S = 2.0  # a folder younger than this may belong to a bench between mkdtemp and taking its lock (microseconds)


def remove_stale(root: str | Path | None = None) -> list[Path]:
    """Remove the scratch folders of benches that are no longer running; returns what was removed."""
    from .._io import locked

    removed = []
    for d in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            if not d.is_dir() or d.is_symlink() or time.time() - d.stat().st_mtime < QUIET_S:
                continue
            with locked(d, blocking=False) as free:
                if free:
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d)
        except OSError:  # another user's folder, or it went away meanwhile
            continue
    return removed


@contextlib.contextmanager
def work_folder(verbose: bool = False) -> Iterator[Path]:
    """A fresh scratch folder, locked while the run uses it and removed afterwards (leftovers of killed runs
    are removed first)."""
    from .._io import locked

    for d in remove_stale():
        if verbose:
            print(f"note: removed {d}, left behind by a bench that was killed")
    work = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        with locked(work):
            yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        remove_stale()  # a bench killed while this one ran
