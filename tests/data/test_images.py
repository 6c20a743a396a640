"""Image reading: draft-mode JPEG decoding, EXIF orientation, modes, NumPy arrays; batch preprocessing."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from yolocls.data.images import array_to_image, load_image, open_image, to_rgb
from yolocls.data.preprocess import preprocess, preprocess_batch
from yolocls.errors import SourceError


def photo(w: int = 640, h: int = 480) -> Image.Image:
    rng = np.random.default_rng(0)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    return coarse.resize((w, h), Image.BICUBIC)


def test_large_jpeg_decodes_reduced_but_reports_its_original_size(tmp_path):
    photo().save(tmp_path / "p.jpg", quality=90)
    img, shape = open_image(tmp_path / "p.jpg", target=224)
    assert shape == (480, 640) and img.size == (320, 240) and img.mode == "RGB"  # DCT scale 1/2, >= target
    full, _ = open_image(tmp_path / "p.jpg")
    assert full.size == (640, 480)
    # Nothing visible is lost at the target size.
    diff = np.abs(preprocess(img, 224) - preprocess(full, 224)).mean()
    assert diff < 0.01
    assert open_image(tmp_path / "p.jpg", target=300)[0].size == (640, 480)  # not much smaller: full decode


def test_exif_orientation_is_applied_and_the_shape_is_as_displayed(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    photo(640, 480).save(tmp_path / "r.jpg", exif=exif.tobytes())
    img, shape = open_image(tmp_path / "r.jpg", target=100)
    assert shape == (640, 480) and img.size[0] < img.size[1]
    assert load_image(tmp_path / "r.jpg").size == (480, 640)


def test_bytes_and_modes(tmp_path):
    buf = io.BytesIO()
    Image.new("RGBA", (5, 4), (10, 20, 30, 255)).save(buf, "PNG")
    img, shape = open_image(buf.getvalue())
    assert shape == (4, 5) and img.getpixel((0, 0)) == (10, 20, 30)
    assert to_rgb(Image.fromarray(np.full((2, 2), 65535, np.uint16))).getpixel((0, 0)) == (255, 255, 255)
    with pytest.raises(SourceError, match="cannot read image '<bytes>'"):
        open_image(b"not an image")
    with pytest.raises(SourceError, match="does not exist"):
        open_image(tmp_path / "missing.png")


def test_arrays_are_read_as_rgb():
    a = np.zeros((2, 3, 3), np.uint8)
    a[..., 0] = 200  # red
    assert array_to_image(a).getpixel((0, 0)) == (200, 0, 0)
    assert array_to_image(np.full((2, 3), 9, np.uint8)).getpixel((1, 1)) == (9, 9, 9)
    rgba = np.concatenate([a, np.full((2, 3, 1), 255, np.uint8)], axis=2)
    assert array_to_image(rgba).mode == "RGB"
    assert array_to_image(a[..., ::-1]).getpixel((0, 0)) == (0, 0, 200)  # a reversed (BGR) view stays as given
    with pytest.raises(SourceError, match="uint8"):
        array_to_image(a.astype(np.float32))


def test_batch_preprocessing_of_ready_arrays_equals_one_by_one():
    """The vectorised path for imgsz x imgsz uint8 arrays (evaluation caches) gives preprocess()'s exact values;
    anything else (another size, a Pillow image) goes one by one."""
    rng = np.random.default_rng(0)
    ready = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(5)]
    one_by_one = np.stack([preprocess(a, 32) for a in ready])
    batch = preprocess_batch(ready, 32)
    assert batch.dtype == np.float32 and batch.shape == (5, 3, 32, 32) and batch.flags.c_contiguous
    assert np.array_equal(batch, one_by_one)
    mixed = ready[:2] + [rng.integers(0, 256, (40, 48, 3), dtype=np.uint8), Image.fromarray(ready[3])]
    assert np.array_equal(preprocess_batch(mixed, 32), np.stack([preprocess(a, 32) for a in mixed]))
