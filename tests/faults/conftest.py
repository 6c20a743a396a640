"""Fixtures of the fault tests: the CLI run as a user runs it, small filesystems for disk-full cases, and a
loopback HTTP server.

Disk full is a real full filesystem: a tmpfs of a chosen size where this process may mount one (root), else
the child's file size limit (RLIMIT_FSIZE, `ulimit -f`), which fails writes with EFBIG the same way.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Run:
    rc: int
    out: str

    def assert_clear_error(self, *names: str) -> None:
        """rc != 0, not killed by a signal, no traceback, and the output names each of `names`."""
        assert self.rc not in (0, None), f"expected a failure, got rc {self.rc}:\n{self.out[-2000:]}"
        assert self.rc > 0, f"killed by signal {-self.rc}:\n{self.out[-2000:]}"
        assert TRACEBACK not in self.out, self.out[-3000:]
        for n in names:
            assert n in self.out, f"{n!r} not in:\n{self.out[-2000:]}"


def run_cli(*args: str, env: dict[str, str] | None = None, fsize: int | None = None, timeout: float = 300,
            cwd: Path | None = None, python: tuple[str, ...] = ("-m", "yolocls")) -> Run:
    """`python -m yolocls ARGS` in a fresh process (this checkout's yolocls), stdout and stderr together."""
    def limit() -> None:
        if fsize is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    full_env = {k: v for k, v in os.environ.items() if k != "YOLOCLS_DEBUG"}  # debug only where a test sets it
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    p = subprocess.run([sys.executable, *python, *args], capture_output=True, text=True, env=full_env,
                       timeout=timeout, cwd=cwd or ROOT, preexec_fn=limit)
    return Run(p.returncode, p.stdout + p.stderr)


def _can_mount() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    d = tempfile.mkdtemp()
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", d], capture_output=True)
        return ok
    finally:
        os.rmdir(d)


CAN_MOUNT = _can_mount()


@dataclass
class SmallDisk:
    """A folder with `size` bytes of room: a tmpfs (`limit` None), or a plain folder and a file size limit for
    the child that writes there (`limit`, pass it to run_cli(fsize=...))."""

    path: Path
    limit: int | None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], SmallDisk]]:
    mounted: list[Path] = []

    def make(size: int) -> SmallDisk:
        d = tmp_path / f"disk{len(mounted)}"
        d.mkdir()
        if not CAN_MOUNT:
            return SmallDisk(d, max(4096, size))
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={max(4096, size)}", "tmpfs", str(d)], check=True)
        mounted.append(d)
        return SmallDisk(d, None)

    yield make
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


@pytest.fixture(scope="session")
def fault_model(digits_ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The digits model and its onnx and openvino exports (imgsz 32), made once; tests corrupt copies."""
    from yolocls import YOLO

    d = tmp_path_factory.mktemp("fault_model")
    model = YOLO(shutil.copy(digits_ckpt, d / "best.pt"))
    out = {"pt": d / "best.pt", **{f: Path(model.export(format=f)) for f in ("onnx", "openvino", "torchscript")}}
    from PIL import Image

    from yolocls.data.folder import list_split, resolve_data

    Image.open(list_split(resolve_data("digits"), "val")[0][0]).save(d / "img.png")
    out["img"] = d / "img.png"
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes set on the server: path -> callable(handler)."""

    def do_GET(self):  # noqa: N802
        route = self.server.routes.get(self.path)  # type: ignore[attr-defined]
        self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1  # type: ignore[attr-defined]
        try:
            if route is None:
                self.send_error(404, "Not Found")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback() -> Iterator[http.server.ThreadingHTTPServer]:
    """An HTTP server on 127.0.0.1; add routes with `server.routes[path] = fn(handler)`; `server.url`."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.routes, srv.hits = {}, {}  # type: ignore[attr-defined]
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"  # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    with contextlib.suppress(OSError):
        srv.server_close()
