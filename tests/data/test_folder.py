"""`data=` forms: a path, a YAML naming one, `digits`, a folder in the datasets dir, or an unknown name."""

from __future__ import annotations

from pathlib import Path

import pytest

from yolocls.data.datasets import dataset_info
from yolocls.data.folder import resolve_data
from yolocls.errors import DatasetError


def test_path_yaml_and_datasets_dir_forms(small_root: Path, tmp_path: Path, monkeypatch):
    assert resolve_data(small_root) == small_root
    (tmp_path / "rel.yaml").write_text("path: small\n")  # relative to the YAML's folder
    assert resolve_data(tmp_path / "rel.yaml") == tmp_path / "small"
    (tmp_path / "abs.yaml").write_text(f"path: {small_root}\n")
    assert resolve_data(str(tmp_path / "abs.yaml")) == small_root
    monkeypatch.setenv("YOLOCLS_DATASETS", str(tmp_path))
    assert resolve_data("small") == tmp_path / "small"


def test_yaml_without_path_is_an_error(tmp_path: Path):
    (tmp_path / "d.yaml").write_text("names: [a, b]\n")
    with pytest.raises(DatasetError, match="has no 'path:' key"):
        resolve_data(tmp_path / "d.yaml")


def test_unknown_dataset_names_the_choices(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("YOLOCLS_DATASETS", str(tmp_path))
    with pytest.raises(DatasetError, match=r"'nope' not found.*cifar10"):
        resolve_data("nope")


def test_digits_is_written_once_and_recorded_by_name(digits_root: Path):
    assert resolve_data("digits") == digits_root
    n_train = sum(1 for _ in (digits_root / "train").rglob("*.png"))
    n_val = sum(1 for _ in (digits_root / "val").rglob("*.png"))
    assert (n_train, n_val) == (1438, 359)
    info = dataset_info("digits")
    assert info.spec == "digits" and info.names == {i: str(i) for i in range(10)}
    assert info.train_defaults == {"fliplr": 0.0, "cache": "ram"}  # not mirror-symmetric; 4 MB decoded


def test_paths_are_recorded_absolute(small_root: Path):
    assert dataset_info(small_root).spec == str(small_root.resolve())


def test_digits_notes_written_by_an_older_yolocls_are_updated_and_a_users_own_are_kept(tmp_path: Path):
    from yolocls.data import digits

    root = tmp_path / "digits"
    for split in ("train", "val"):
        (root / split / "0").mkdir(parents=True)
    notes = root / "dataset.yaml"
    notes.write_text(f"{digits.YAML_HEADER}\ntrain_defaults:\n  fliplr: 0.0\n")  # an older yolocls's notes
    digits.write_digits(root)
    assert notes.read_text() == digits.DATASET_YAML
    notes.write_text("train_defaults:\n  fliplr: 0.5\n")  # the user's own: left alone
    digits.write_digits(root)
    assert notes.read_text() == "train_defaults:\n  fliplr: 0.5\n"


def test_digits_arrays_are_sklearns_load_digits_without_importing_sklearn():
    import subprocess
    import sys

    import numpy as np
    from sklearn.datasets import load_digits

    from yolocls.data.digits import digits_arrays

    images, labels = digits_arrays()
    d = load_digits()
    gray = np.round(d.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8).repeat(4, axis=1).repeat(4, axis=2)
    assert np.array_equal(images, np.repeat(gray[..., None], 3, axis=3)) and images.dtype == np.uint8
    assert np.array_equal(labels, d.target) and labels.dtype == np.int64
    code = "import sys; from yolocls.data.digits import digits_arrays; digits_arrays(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # its import (scipy.stats, seconds) was most of an export's check run
