"""The TensorRT runtime's TensorRT-free parts: the metadata header, batch checks, device parsing, install hint."""

from __future__ import annotations

import sys

import pytest

from yolocls.errors import MissingDependencyError, ShapeError
from yolocls.metadata import build_metadata
from yolocls.runtimes import detect_format, load_runtime
from yolocls.runtimes.engine import (
    check_batch,
    cuda_index,
    engine_bytes,
    import_tensorrt,
    read_engine_file,
    split_engine_bytes,
)

MD = build_metadata(names={0: "cat", 1: "dog"}, imgsz=224, fmt="engine", batch=8, dynamic=True)


def test_header_round_trips_metadata_and_engine_bytes(tmp_path):
    plan = bytes(range(256)) * 3
    data = engine_bytes(MD, plan)
    n = int.from_bytes(data[:4], "little")
    assert data[4:4 + n].startswith(b"{") and data[4 + n:] == plan  # Ultralytics layout: length, JSON, engine
    (tmp_path / "m.engine").write_bytes(data)
    md, back = read_engine_file(tmp_path / "m.engine")
    assert back == plan and md["names"] == {0: "cat", 1: "dog"} and md["batch"] == 8 and md["dynamic"] is True
    assert detect_format(tmp_path / "m.engine") == "engine"


@pytest.mark.parametrize("data", [b"\x00" * 64, (10**6).to_bytes(4, "little") + b"{}", b"\x05\x00\x00\x00\xff\xfe{}}}"],
                         ids=["zero-length", "huge-length", "not-json"])
def test_a_bare_or_broken_engine_is_refused_with_the_fix(data):
    with pytest.raises(ValueError, match="no yolocls metadata header.*format=engine"):
        split_engine_bytes(data, "x.engine")


def test_batch_over_the_profile_max_names_the_max():
    check_batch(8, 8)
    with pytest.raises(ShapeError, match="at most 8.*got 9.*batch=9 dynamic=True"):
        check_batch(9, 8, "m.engine")


def test_cuda_index_from_device_strings():
    assert [cuda_index(d) for d in ("cpu", "", "cuda", "0", "cuda:1", "3")] == [0, 0, 0, 0, 1, 3]


def test_without_tensorrt_loading_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    with pytest.raises(MissingDependencyError, match="pypi.nvidia.com"):
        import_tensorrt()
    (tmp_path / "m.engine").write_bytes(engine_bytes(MD, b"plan"))
    with pytest.raises(MissingDependencyError, match="format 'engine' needs tensorrt"):
        load_runtime(tmp_path / "m.engine")
