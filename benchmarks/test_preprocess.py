"""The shared preprocessing on 640x480 JPEGs: decode + resize/crop + float CHW, at 224 (and decode alone)."""

from __future__ import annotations

import itertools

import pytest

from yolocls.data.images import load_image
from yolocls.data.preprocess import preprocess


@pytest.mark.parametrize("imgsz", [224, 640])
def test_decode_and_preprocess_640x480_jpeg(benchmark, jpegs_640x480, imgsz):
    files = itertools.cycle(jpegs_640x480)
    x = benchmark(lambda: preprocess(load_image(next(files), target=imgsz), imgsz))
    assert x.shape == (3, imgsz, imgsz)


def test_preprocess_decoded_640x480_image(benchmark, jpegs_640x480):
    img = load_image(jpegs_640x480[0])
    x = benchmark(preprocess, img, 224)
    assert x.shape == (3, 224, 224)
