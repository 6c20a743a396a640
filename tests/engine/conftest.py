"""Fixtures for prediction tests: the trained digits model, confidently-known val images, image makers."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def digits_yolo(digits_ckpt: Path):
    from yolocls import YOLO

    return YOLO(digits_ckpt)


@pytest.fixture(scope="session")
def known_digits(digits_root: Path, digits_ref: np.ndarray) -> dict[int, Path]:
    """For each class, one val image that the reference (the .pt runtime on the shared preprocessing) puts in that
    class with probability > 0.9: the ground truth every source kind must reproduce."""
    from yolocls.data.folder import list_split

    paths, labels, _ = list_split(digits_root, "val")
    out: dict[int, Path] = {}
    for p, y, probs in zip(paths, labels, digits_ref, strict=True):
        if y not in out and probs.argmax() == y and probs[y] > 0.9:
            out[y] = p
    assert sorted(out) == list(range(10)), "the digits model should be confident on some image of every class"
    return out


@pytest.fixture
def http_server(tmp_path: Path):
    """An HTTP server on 127.0.0.1 serving `tmp_path/www`; yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()



@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from yolocls.data.digits import digits_arrays

    images, labels = digits_arrays()
    root = tmp_path_factory.mktemp("tiny_digits")
    for c in range(10):
        idx = [i for i in range(len(labels)) if labels[i] == c][:16]
        for k, i in enumerate(idx):
            split = "train" if k < 12 else "val"
            (root / split / str(c)).mkdir(parents=True, exist_ok=True)
            Image.fromarray(images[i]).save(root / split / str(c) / f"{i:04d}.png")
    return root
