"""Results and Probs: the numbers, the strings, the pictures and the files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from yolocls.engine.results import Probs, Results

NAMES = {0: "cat", 1: "dog", 2: "bird", 3: "fish", 4: "frog", 5: "newt", 6: "yak"}
DATA = np.array([0.05, 0.6, 0.02, 0.2, 0.01, 0.1, 0.02], np.float32)


def make(img=None) -> Results:
    img = np.full((120, 200, 3), 90, np.uint8) if img is None else img
    return Results(img, "/data/pets/a.jpg", NAMES, DATA, speed={"preprocess": 1.0, "inference": 2.0,
                                                                 "postprocess": 0.1})


def test_probs_top1_top5_and_confidences():
    p = Probs(DATA)
    assert p.top1 == 1 and p.top1conf == pytest.approx(0.6)
    assert p.top5 == [1, 3, 5, 0, 2]  # ties (0.02 at 2 and 6) keep index order
    np.testing.assert_allclose(p.top5conf, [0.6, 0.2, 0.1, 0.05, 0.02])
    assert isinstance(p.data, np.ndarray) and p.data.dtype == np.float32
    assert Probs(np.array([0.3, 0.7])).top5 == [1, 0]  # fewer than five classes


def test_verbose_summary_and_json():
    r = make()
    assert r.verbose() == "dog 0.60, fish 0.20, newt 0.10, cat 0.05, bird 0.02"
    s = r.summary()
    assert s[0] == {"name": "dog", "class": 1, "confidence": 0.6} and [d["class"] for d in s] == [1, 3, 5, 0, 2]
    assert json.loads(r.to_json()) == s
    assert r.names is NAMES and r.path == "/data/pets/a.jpg" and r.name == "a.jpg"
    assert set(r.speed) == {"preprocess", "inference", "postprocess"}
    assert "top1='dog'" in repr(r)


def test_plot_draws_the_labels_on_a_copy_of_the_original():
    img = np.full((120, 200, 3), 90, np.uint8)
    r = make(img)
    out = r.plot()
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - img).sum() > 0 and (img == 90).all()  # drawn, original untouched
    assert (out[100:, 150:] == 90).all()  # the block stays top-left
    assert isinstance(r.plot(pil=True), Image.Image)


def test_save_writes_the_annotated_image_at_original_size(tmp_path):
    r = make()
    path = r.save(tmp_path / "out" / "a.png")
    saved = np.asarray(Image.open(path))
    np.testing.assert_array_equal(saved, r.plot())
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp file left
    with pytest.raises(ValueError, match="unknown image suffix"):
        r.save(tmp_path / "a.unknown")


def test_save_txt_writes_confidence_name_lines(tmp_path):
    p = make().save_txt(tmp_path / "labels" / "a.txt")
    assert open(p).read().splitlines() == ["0.60 dog", "0.20 fish", "0.10 newt", "0.05 cat", "0.02 bird"]


def test_orig_img_may_be_lazy_and_pil_images_become_rgb_arrays():
    calls = []

    def read():
        calls.append(1)
        return Image.new("L", (20, 10), 7)

    r = Results(read, "x.png", NAMES, DATA, orig_shape=(10, 20))
    assert r.orig_shape == (10, 20) and not calls
    assert r.orig_img.shape == (10, 20, 3) and (r.orig_img == 7).all()
    assert r.orig_img is r.orig_img and len(calls) == 1


def test_a_failed_image_has_no_probs_and_says_why():
    r = Results(None, "bad.jpg", NAMES, error="cannot read image 'bad.jpg'")
    assert not r.ok and r.verbose() == "error: cannot read image 'bad.jpg'" and r.summary() == []
    with pytest.raises(ValueError, match="no image to plot"):
        r.plot()
