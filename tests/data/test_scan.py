"""Dataset scan: unreadable files skipped with one warning, empty classes/splits are errors, verdicts cached."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from yolocls.data.datasets import EvalImages, TrainImages, stratified_fraction
from yolocls.data.scan import scan_split
from yolocls.errors import DatasetError

from .conftest import write_folder


def _jpeg_bytes(size: int = 24) -> bytes:
    b = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(b, "JPEG")
    return b.getvalue()


def _add_bad_files(d: Path) -> list[str]:
    (d / "zero.png").write_bytes(b"")
    (d / "truncated.jpg").write_bytes(_jpeg_bytes()[:300])
    (d / "notes.txt").write_text("not an image")
    (d / "fake.png").write_bytes(b"this is text pretending to be a PNG")
    return ["zero.png", "truncated.jpg", "notes.txt", "fake.png"]


def test_corrupt_files_are_skipped_with_one_warning(small_root: Path):
    bad = _add_bad_files(small_root / "train" / "a")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        scan = scan_split(small_root, "train")
    msgs = [str(x.message) for x in w if "skipped" in str(x.message)]
    assert len(msgs) == 1, msgs
    assert "skipped 4 unreadable file(s)" in msgs[0]
    assert all(f"a/{b}" in msgs[0] for b in bad)
    assert "zero-byte" in msgs[0] and "not an image" in msgs[0]
    assert len(scan) == 18 and sorted(r for r, _ in scan.skipped) == sorted(f"a/{b}" for b in bad)
    assert all(p.suffix == ".png" and p.stat().st_size > 0 for p in scan.paths)
    assert scan.names == {0: "a", 1: "b", 2: "c"}
    assert scan.labels == [0] * 6 + [1] * 6 + [2] * 6


def test_warning_names_only_the_first_few(small_root: Path):
    d = small_root / "train" / "b"
    for i in range(8):
        (d / f"empty{i}.jpg").write_bytes(b"")
    with pytest.warns(UserWarning, match=r"skipped 8 unreadable .* and 3 more"):
        scan_split(small_root, "train")


def test_verdicts_are_cached_and_invalidated_by_changes(small_root: Path):
    _add_bad_files(small_root / "train" / "a")
    with pytest.warns(UserWarning):
        first = scan_split(small_root, "train")
    cache = small_root / "train.cache"
    data = json.loads(cache.read_text())
    assert data["verdicts"]["a/zero.png"] == "zero-byte file" and data["verdicts"]["a/000.png"] is None
    with pytest.warns(UserWarning, match="skipped 4"):  # the warning repeats from the cache
        again = scan_split(small_root, "train")
    assert again.paths == first.paths
    (small_root / "train" / "a" / "zero.png").unlink()  # a change in the folder invalidates the cache
    with pytest.warns(UserWarning, match="skipped 3"):
        assert len(scan_split(small_root, "train")) == 18


def test_empty_class_folder_is_an_error(small_root: Path):
    (small_root / "train" / "d").mkdir()
    with pytest.raises(DatasetError, match=r"class folder .*train/d' has no readable images"):
        scan_split(small_root, "train")


def test_class_with_only_corrupt_images_is_an_error(small_root: Path):
    d = small_root / "train" / "e"
    d.mkdir()
    (d / "x.jpg").write_bytes(_jpeg_bytes()[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetError, match="has no readable images"):
            scan_split(small_root, "train")


def test_split_without_classes_is_an_error(tmp_path: Path):
    (tmp_path / "ds" / "train").mkdir(parents=True)
    with pytest.raises(DatasetError, match="has no class folders"):
        scan_split(tmp_path / "ds", "train")


def test_missing_split_names_the_folder(small_root: Path):
    with pytest.raises(DatasetError, match="has no 'test' split"):
        scan_split(small_root, "test")


def test_val_falls_back_to_test_with_a_note(tmp_path: Path, capsys):
    root = write_folder(tmp_path / "ds", {"a": 2, "b": 2}, split="test")
    scan = scan_split(root, "val")
    assert scan.folder.name == "test" and len(scan) == 4
    assert "using 'test' for validation" in capsys.readouterr().out


def test_val_classes_map_onto_given_names(small_root: Path):
    scan = scan_split(small_root, "val", names={0: "c", 1: "b", 2: "a"})
    assert scan.labels == [2, 2, 1, 1, 0, 0]  # folders a, b, c sorted; indices from the given names
    with pytest.raises(DatasetError, match="not among the 2 classes"):
        scan_split(small_root, "val", names={0: "a", 1: "b"})


def test_image_modes_are_read_as_rgb(tmp_path: Path):
    d = tmp_path / "ds" / "train" / "x"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 30), dtype=np.uint8), "L").save(d / "gray.png")
    Image.fromarray(rng.integers(0, 256, (20, 30, 4), dtype=np.uint8), "RGBA").save(d / "rgba.png")
    Image.fromarray(rng.integers(0, 256, (20, 30), dtype=np.uint8), "L").convert("P").save(d / "pal.bmp")
    Image.fromarray(rng.integers(0, 65535, (20, 30), dtype=np.uint16)).save(d / "deep.tif")
    Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(d / "c.webp")
    imgs = TrainImages(tmp_path / "ds", "train", imgsz=32)
    assert len(imgs) == 5
    for i in range(5):
        a = imgs.load(i)
        assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and a.shape[:2] == (20, 30)


@pytest.mark.parametrize("cache", ["ram", "disk"])
def test_cached_arrays_equal_uncached(small_root: Path, cache: str):
    plain = EvalImages(small_root, "train", 32)
    cached = EvalImages(small_root, "train", 32, cache=cache)
    for i in range(len(plain)):
        np.testing.assert_array_equal(plain.load(i), cached.load(i))
        assert cached.load(i).shape == (32, 32, 3)
    if cache == "disk":
        assert len(list((small_root / "train" / "a").glob("*.npy"))) == 6
        assert len(scan_split(small_root, "train")) == 18  # .npy files are not taken for images


def test_fraction_is_stratified_and_deterministic():
    labels = [0] * 50 + [1] * 10 + [2] * 2
    keep = stratified_fraction(labels, 0.1, seed=0)
    assert keep == stratified_fraction(labels, 0.1, seed=0)
    assert [sum(labels[i] == c for i in keep) for c in range(3)] == [5, 1, 1]
