"""URL sources and dataset downloads against a loopback server: an overall deadline, a size cap, retries with
backoff, and a free-space check against an archive's unpacked size; every error names the URL."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from yolocls.cli import main

from .conftest import TRACEBACK


def _drip(h) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.end_headers()
    for _ in range(60):  # one byte every 0.5 s: every read succeeds, the whole never ends
        h.wfile.write(b"\x89")
        h.wfile.flush()
        time.sleep(0.5)


def _huge(h) -> None:
    h.send_response(200)  # no Content-Length: only counting the bytes can stop it
    h.end_headers()
    chunk = b"\0" * (1 << 20)
    for _ in range(500):
        h.wfile.write(chunk)


def test_a_dripping_url_ends_at_the_deadline_and_names_the_url(loopback, fault_model, monkeypatch, capsys):
    loopback.routes["/drip"] = _drip
    monkeypatch.setenv("YOLOCLS_URL_DEADLINE", "2")
    url = f"{loopback.url}/drip"
    t0 = time.monotonic()
    assert main(["predict", f"model={fault_model['onnx']}", f"source={url}"]) == 2
    err = capsys.readouterr().err
    assert time.monotonic() - t0 < 30 and TRACEBACK not in err
    assert f"cannot download '{url}': it took longer than 2 s in all" in err and "YOLOCLS_URL_DEADLINE" in err


def test_a_huge_url_body_stops_at_the_size_cap(loopback, fault_model, monkeypatch, capsys):
    import resource

    loopback.routes["/huge"] = _huge
    monkeypatch.setenv("YOLOCLS_URL_MAX_MB", "8")
    url = f"{loopback.url}/huge"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert main(["predict", f"model={fault_model['onnx']}", f"source={url}"]) == 2
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    err = capsys.readouterr().err
    assert f"cannot download '{url}': it sent more than the 8 MB" in err and "YOLOCLS_URL_MAX_MB" in err, err
    assert grown_mb < 100, grown_mb  # 500 MB were on offer


def _archive(root: Path, name: str, filler: int = 0) -> bytes:
    """A dataset zip: two classes of one image each, plus `filler` bytes of zeros (compress to almost nothing)."""
    from PIL import Image

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for split in ("train", "val"):
            for c in ("0", "1"):
                img = io.BytesIO()
                Image.new("L", (8, 8), int(c) * 255).save(img, "PNG")
                z.writestr(f"{name}/{split}/{c}/a.png", img.getvalue())
        if filler:
            z.writestr(f"{name}/train/0/zeros.bin", b"\0" * filler)
    return buf.getvalue()


def _serve(h, body: bytes) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def test_a_flaky_mirror_is_retried_with_backoff(loopback, tmp_path, monkeypatch):
    from yolocls.data.download import download_dataset

    body = _archive(tmp_path, "mnist160")

    def flaky(h) -> None:
        if loopback.hits["/mnist160.zip"] <= 2:
            h.send_error(503, "busy")
        else:
            _serve(h, body)

    loopback.routes["/mnist160.zip"] = flaky
    monkeypatch.setattr(time, "sleep", lambda s: None)  # the backoff's waits (1 s, 2 s), not the server's
    root = download_dataset("mnist160", tmp_path / "mnist160", url=f"{loopback.url}/mnist160.zip", timeout=5)
    assert loopback.hits["/mnist160.zip"] == 3 and (root / "train" / "1" / "a.png").is_file()


def test_an_archive_that_unpacks_beyond_the_free_space_is_refused_first(loopback, small_disk, tmp_path):
    disk = small_disk(6 << 20)
    body = _archive(tmp_path, "mnist160", filler=64 << 20)  # ~64 KB on the wire, 64 MB unpacked
    loopback.routes["/mnist160.zip"] = lambda h: _serve(h, body)
    if disk.limit is not None:
        pytest.skip("the unpacked-size check is against free space; needs a tmpfs (mount: root only)")
    from yolocls.data.download import download_dataset
    from yolocls.errors import DiskFullError

    with pytest.raises(DiskFullError, match=rf"No space left on {disk.path}.*needed ~64 MB.*unpacked from "
                                            rf"{loopback.url}/mnist160.zip"):
        download_dataset("mnist160", disk.path / "mnist160", url=f"{loopback.url}/mnist160.zip", timeout=5)
    assert list(disk.path.iterdir()) == []  # the archive and its temp folder are gone
