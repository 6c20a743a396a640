"""Folder runtimes (paddle, ncnn) refuse incomplete folders with the command that makes a good one."""

from __future__ import annotations

import pytest

from yolocls.metadata import build_metadata, write_metadata_file
from yolocls.runtimes import detect_format, load_runtime


@pytest.mark.paddle
def test_paddle_folder_without_a_model_is_refused(tmp_path):
    folder = tmp_path / "best_paddle_model"
    folder.mkdir()
    assert detect_format(folder) == "paddle"
    with pytest.raises(FileNotFoundError, match="holds no Paddle inference model.*format=paddle"):
        load_runtime(folder)


@pytest.mark.ncnn
def test_ncnn_folder_without_bin_or_with_junk_is_refused(tmp_path):
    folder = tmp_path / "best_ncnn_model"
    folder.mkdir()
    assert detect_format(folder) == "ncnn"
    with pytest.raises(FileNotFoundError, match=r"model\.ncnn\.param' as ncnn: the file is missing.*format=ncnn"):
        load_runtime(folder)
    (folder / "model.ncnn.param").write_text("not an ncnn param file\n")
    (folder / "model.ncnn.bin").write_bytes(b"\0" * 16)
    write_metadata_file(folder, build_metadata(names={0: "a"}, imgsz=32, fmt="ncnn"))
    with pytest.raises(ValueError, match=r"model\.ncnn\.param' as ncnn: the file is not an ncnn \.param file"):
        load_runtime(folder)
