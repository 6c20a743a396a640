"""Named-dataset download, run for real against an HTTP server on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import http.server
import io
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from yolocls.data.download import download_dataset
from yolocls.data.folder import resolve_data
from yolocls.errors import DatasetError


def _zip_dataset(top: str) -> bytes:
    """A tiny classification zip laid out like the published ones: <top>/{train,test}/<class>/<image>."""
    b = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(b, "w") as z:
        for split in ("train", "test"):
            for c in ("cat", "dog"):
                for i in range(3):
                    im = io.BytesIO()
                    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(im, "PNG")
                    z.writestr(f"{top}/{split}/{c}/{i}.png", im.getvalue())
    return b.getvalue()


GOOD = _zip_dataset("mnist160")
CORRUPT = GOOD[: len(GOOD) // 2] + b"\x00" * 100 + GOOD[len(GOOD) // 2 + 100:]  # same size, broken member data


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        name = self.path.rsplit("/", 1)[-1]
        if name == "slow.zip":
            time.sleep(3)
        body = {"mnist160.zip": GOOD, "corrupt.zip": CORRUPT, "slow.zip": GOOD}.get(name)
        if body is None:
            self.send_error(404, "Not Found")
            return
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout case)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_named_dataset_downloads_and_lands_whole(server: str, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("YOLOCLS_DATASETS", str(tmp_path))
    monkeypatch.setenv("YOLOCLS_DATASETS_URL", server)
    root = resolve_data("mnist160")
    assert root == tmp_path / "mnist160"
    assert sorted(p.name for p in (root / "train").iterdir()) == ["cat", "dog"]
    assert len(list(root.rglob("*.png"))) == 12
    assert [p.name for p in tmp_path.iterdir()] == ["mnist160"]  # no temp folders or archives left behind
    assert resolve_data("mnist160") == root  # second use: no download


@pytest.mark.parametrize("name, timeout, match", [
    ("missing", 5.0, "HTTP 404"),
    ("slow", 0.5, "timed out"),
    ("corrupt", 5.0, "corrupt"),
])
def test_failures_name_the_url_and_the_manual_fix(server: str, tmp_path: Path, name: str, timeout: float,
                                                  match: str, monkeypatch):
    monkeypatch.setenv("YOLOCLS_DOWNLOAD_RETRIES", "1")  # retries: tests/faults/test_downloads.py
    dest = tmp_path / name
    url = f"{server}/{name}.zip"
    with pytest.raises(DatasetError, match=match) as e:
        download_dataset(name, dest, url=url, timeout=timeout)
    msg = str(e.value)
    assert url in msg and "place the data by hand" in msg and str(dest) in msg
    assert not dest.exists() and list(tmp_path.iterdir()) == []  # nothing half-written that looks whole


def test_unreachable_host_is_a_clear_error(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("YOLOCLS_DOWNLOAD_RETRIES", "1")
    with pytest.raises(DatasetError, match=r"download of http://127.0.0.1:9/x.zip failed"):
        download_dataset("x", tmp_path / "x", url="http://127.0.0.1:9/x.zip", timeout=2)
