"""Source resolution: what each kind of input becomes, before any image is decoded."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from yolocls.data.sources import fetch_url, is_tensor, load_source
from yolocls.errors import SourceError


@pytest.fixture
def tree(tmp_path):
    for rel in ("b.png", "a.jpg", "notes.md", "sub/c.png", "sub/deeper/d.PNG"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix.lower() in (".png", ".jpg"):
            Image.new("RGB", (4, 4)).save(p)
        else:
            p.write_text("x")
    return tmp_path


def names(src) -> list[str]:
    return [i.name for i in src]


def test_folder_lists_its_images_sorted_not_recursively(tree):
    s = load_source(tree)
    assert (s.kind, s.count, s.single) == ("folder", 2, False)
    assert names(s) == ["a.jpg", "b.png"]


def test_glob_with_double_star_recurses_and_names_keep_subfolders(tree):
    s = load_source(f"{tree}/**/*.png")
    assert s.kind == "glob" and names(s) == ["b.png", "sub/c.png"]  # fnmatch is case-sensitive on .png
    assert names(load_source(f"{tree}/**/*.[pP][nN][gG]")) == ["b.png", "sub/c.png", "sub/deeper/d.PNG"]


def test_single_file_url_and_in_memory_images_are_single(tree):
    assert load_source(tree / "a.jpg").single
    u = load_source("https://example.com/x/cat%20pic.jpg?s=1")
    assert u.single and [(i.kind, i.name) for i in u] == [("url", "cat pic.jpg")]
    assert load_source(Image.new("RGB", (3, 3))).single
    assert load_source(np.zeros((3, 3, 3), np.uint8)).single
    batch = load_source(np.zeros((4, 3, 3, 3), np.uint8))
    assert not batch.single and batch.count == 4 and names(batch) == [f"image{i}.jpg" for i in range(4)]


def test_list_and_text_file_mix_kinds(tree):
    (tree / "sub" / "list.txt").write_text("c.png\n# comment\n\n../a.jpg\nhttps://h/z.png\n")
    s = load_source(tree / "sub" / "list.txt")
    assert s.kind == "txt" and s.count == 3 and [i.kind for i in s] == ["file", "file", "url"]
    mixed = load_source([tree / "b.png", Image.new("RGB", (2, 2)), np.zeros((2, 2), np.uint8), str(tree / "sub")])
    assert mixed.count == 4 and [i.kind for i in mixed] == ["file", "pil", "array", "file"]
    assert [i.name for i in load_source([tree / "b.png", Image.new("RGB", (2, 2))])] == ["b.png", "image1.jpg"]


def test_errors_name_the_problem(tree):
    with pytest.raises(SourceError, match="does not exist"):
        load_source(tree / "zzz.jpg")
    with pytest.raises(SourceError, match="empty list"):
        load_source([])
    (tree / "empty.txt").write_text("# nothing\n")
    with pytest.raises(SourceError, match="is empty"):
        load_source(tree / "empty.txt")
    with pytest.raises(SourceError, match="vid_stride"):
        load_source(tree, vid_stride=0)
    with pytest.raises(SourceError, match=r"shape \(3, 8, 8\).*transpose\(1, 2, 0\)"):
        load_source(np.zeros((3, 8, 8), np.uint8))
    with pytest.raises(SourceError, match="cannot download 'http://127.0.0.1:1/x.jpg'"):
        fetch_url("http://127.0.0.1:1/x.jpg", timeout=5)


def test_tensors_are_recognised_without_importing_torch():
    code = ("import sys, numpy as np; from yolocls.data.sources import is_tensor, load_source; "
            "assert not is_tensor(np.zeros(3)); load_source(np.zeros((2, 2), np.uint8)); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr
    import torch

    assert is_tensor(torch.zeros(1))
    s = load_source(torch.rand(2, 1, 8, 8))  # one channel is repeated to RGB
    assert [i.data.shape for i in s] == [(3, 8, 8), (3, 8, 8)]
    with pytest.raises(SourceError, match="expected BCHW"):
        load_source(torch.rand(2, 4, 8, 8))


def test_video_without_opencv_names_the_extra(tmp_path, monkeypatch):
    from yolocls.errors import MissingDependencyError

    (tmp_path / "v.mp4").write_bytes(b"\0" * 16)
    monkeypatch.setitem(sys.modules, "cv2", None)  # as if OpenCV were not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'yolocls\[video\]'"):
        load_source(tmp_path / "v.mp4")
