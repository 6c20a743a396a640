"""Official weights by name (`YOLO("yolov8n-cls.pt")`): downloaded on first use from a real HTTP server on
127.0.0.1 (never the internet) serving a checkpoint this test writes in Ultralytics' layout, then read through the
restricted importer."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from pathlib import Path

import pytest
import torch

from yolocls import YOLO
from yolocls.errors import CheckpointError
from yolocls.models import weights
from yolocls.models.config import builtin_names
from yolocls.models.safe_unpickle import load_pickled_checkpoint
from yolocls.models.ultralytics import ALLOWED_RECORDS

from .ultralytics_writer import from_records, write_checkpoint


@pytest.fixture(scope="module")
def served(ultralytics_fixture: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """name -> body: a real Ultralytics-layout checkpoint (the fixture's records written again by our writer),
    a copy with one weight byte changed, and the first half of it."""
    d = tmp_path_factory.mktemp("served")
    good = write_checkpoint(from_records(load_pickled_checkpoint(ultralytics_fixture, ALLOWED_RECORDS)),
                            d / "yolov8n-cls.pt").read_bytes()
    return {"yolov8n-cls.pt": good, "yolov8s-cls.pt": good, "yolov8m-cls.pt": good[:-200] + bytes(200),
            "yolov8l-cls.pt": good[: len(good) // 2]}


@pytest.fixture(scope="module")
def server(served: dict[str, bytes]):
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            name = self.path.rsplit("/", 1)[-1]
            hits.append(self.path)
            if self.path.startswith("/slow/"):
                time.sleep(3)
            body = served.get(name)
            if body is None:
                self.send_error(404, "Not Found")
                return
            try:
                self.send_response(200)
                # the truncated file announces the whole size: the connection "drops" half way
                full = len(served["yolov8n-cls.pt"]) if name == "yolov8l-cls.pt" else len(body)
                self.send_header("Content-Length", str(full))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", hits
    srv.shutdown()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    d = tmp_path / "weights"
    monkeypatch.setenv("YOLOCLS_WEIGHTS_DIR", str(d))
    monkeypatch.chdir(tmp_path)  # a yolov8n-cls.pt in the working folder would be used as is
    return d


def test_every_built_in_model_has_its_official_weights_name():
    names = weights.official_names()
    assert names == [n.replace(".yaml", ".pt") for n in builtin_names()]
    assert "yolov8n-cls.pt" in names and "yolov8x-cls.pt" in names
    assert weights.weights_url("yolov8n-cls.pt") == \
        "https://github.com/ultralytics/assets/releases/download/v8.4.0/yolov8n-cls.pt"


def test_first_use_downloads_into_the_cache_then_reads_it_from_there(server, served, cache, monkeypatch,
                                                                     ultralytics_fixture, capsys):
    url, hits = server
    monkeypatch.setenv("YOLOCLS_WEIGHTS_URL", url)
    entry = {"sha256": hashlib.sha256(served["yolov8n-cls.pt"]).hexdigest(), "size": len(served["yolov8n-cls.pt"])}
    monkeypatch.setitem(weights.table(), "files", {"yolov8n-cls.pt": entry})
    model = YOLO("yolov8n-cls.pt")
    assert model.ckpt_path == cache / "yolov8n-cls.pt" and model.format == "pt"
    assert f"Downloading {url}/yolov8n-cls.pt" in capsys.readouterr().out
    assert sorted(p.name for p in cache.iterdir()) == ["yolov8n-cls.pt"]  # no temp file left beside it
    assert model.ckpt["provenance"]["version"] == "8.4.190"  # read as an Ultralytics checkpoint, converted
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(model.model.eval()(x), YOLO(ultralytics_fixture).model.eval()(x))
    n = len(hits)
    assert YOLO("yolov8n-cls.pt").ckpt_path == cache / "yolov8n-cls.pt" and len(hits) == n  # no second download


def test_a_checksum_mismatch_is_refused_and_nothing_takes_the_name(server, cache, monkeypatch):
    url, _ = server
    monkeypatch.setenv("YOLOCLS_WEIGHTS_URL", url)
    monkeypatch.setitem(weights.table(), "files", {"yolov8s-cls.pt": {"sha256": "0" * 64}})
    with pytest.raises(CheckpointError, match="failed its checksum") as e:
        YOLO("yolov8s-cls.pt")
    assert f"{url}/yolov8s-cls.pt" in str(e.value) and str(cache / "yolov8s-cls.pt") in str(e.value)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_damaged_file_without_a_recorded_checksum_is_refused_by_its_zip_check(server, cache, monkeypatch):
    url, _ = server
    monkeypatch.setenv("YOLOCLS_WEIGHTS_URL", url)
    with pytest.raises(CheckpointError, match="not a (complete )?PyTorch checkpoint"):
        YOLO("yolov8m-cls.pt")
    with pytest.raises(CheckpointError, match=r"incomplete: [\d,]+ of [\d,]+ bytes"):
        YOLO("yolov8l-cls.pt")
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_timeout_names_the_url_and_where_to_put_the_file_by_hand(server, cache):
    url, _ = server
    with pytest.raises(CheckpointError, match="timed out after 0.5s") as e:
        weights.download_weights("yolov8n-cls.pt", timeout=0.5, url=f"{url}/slow/yolov8n-cls.pt")
    msg = str(e.value)
    assert f"{url}/slow/yolov8n-cls.pt" in msg and "put it at" in msg and str(cache / "yolov8n-cls.pt") in msg
    assert not cache.exists() or list(cache.iterdir()) == []


def test_offline_the_error_names_the_url_and_the_manual_fix(cache, monkeypatch):
    monkeypatch.setenv("YOLOCLS_WEIGHTS_URL", "http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(CheckpointError, match=r"download of http://127.0.0.1:9/yolov8x-cls.pt failed") as e:
        YOLO("yolov8x-cls.pt")
    assert "on a machine with internet access" in str(e.value) and "YOLOCLS_WEIGHTS_URL" in str(e.value)


def test_only_official_bare_names_are_fetched(cache, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        YOLO("mine.pt")  # not an official name: the usual error, no download
    with pytest.raises(CheckpointError, match="does not exist"):
        YOLO(str(tmp_path / "elsewhere" / "yolov8n-cls.pt"))  # a path is a path
    assert weights.resolve_weights("yolov8n-cls.yaml") == Path("yolov8n-cls.yaml")
