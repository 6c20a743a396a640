"""Every source kind predicts the right digit with the trained digits model."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.engine._digits import on_canvas
from yolocls.data.folder import list_split
from yolocls.data.preprocess import preprocess
from yolocls.errors import SourceError


def top1s(results) -> list[int]:
    return [r.probs.top1 for r in results]


@pytest.fixture
def digit_folder(tmp_path: Path, known_digits: dict[int, Path]) -> Path:
    """Ten PNGs, `<class>.png`, one per class."""
    d = tmp_path / "digits"
    d.mkdir()
    for c, p in known_digits.items():
        shutil.copy(p, d / f"{c}.png")
    return d


def test_image_file_and_call_form(digits_yolo, known_digits):
    for c in (0, 7):
        (r,) = digits_yolo.predict(known_digits[c], verbose=False)
        assert r.probs.top1 == c and r.path == str(known_digits[c])
        (r2,) = digits_yolo(str(known_digits[c]), verbose=False)
        np.testing.assert_array_equal(r.probs.data, r2.probs.data)


def test_predict_matches_the_reference_runtime_on_the_shared_preprocessing(digits_yolo, digits_ckpt, known_digits):
    from yolocls.runtimes import load_runtime

    p = known_digits[4]
    ref = load_runtime(digits_ckpt).predict(preprocess(Image.open(p), 32)[None])[0]
    (r,) = digits_yolo.predict(p, verbose=False)
    np.testing.assert_allclose(r.probs.data, ref, rtol=0, atol=1e-6)


def test_folder_in_name_order_and_batches_agree(digits_yolo, digit_folder):
    one = digits_yolo.predict(digit_folder, batch=1, verbose=False)
    four = digits_yolo.predict(str(digit_folder), batch=4, verbose=False)
    assert [Path(r.path).name for r in one] == [f"{c}.png" for c in range(10)]
    assert top1s(one) == top1s(four) == list(range(10))
    np.testing.assert_allclose(np.stack([r.probs.data for r in one]), np.stack([r.probs.data for r in four]),
                               atol=1e-5)


def test_glob_and_recursive_glob(digits_yolo, digit_folder):
    assert top1s(digits_yolo.predict(f"{digit_folder}/[3-5].png", verbose=False)) == [3, 4, 5]
    sub = digit_folder / "more" / "deeper"
    sub.mkdir(parents=True)
    shutil.copy(digit_folder / "8.png", sub / "x8.png")
    rs = digits_yolo.predict(f"{digit_folder}/**/x*.png", verbose=False)
    assert top1s(rs) == [8] and rs[0].name == "more/deeper/x8.png"


def test_list_of_paths_and_text_file_listing_paths(digits_yolo, digit_folder, tmp_path):
    paths = [digit_folder / "9.png", str(digit_folder / "2.png")]
    assert top1s(digits_yolo.predict(paths, verbose=False)) == [9, 2]
    listing = digit_folder / "list.txt"  # relative lines are relative to the text file; comments skipped
    listing.write_text(f"# digits\n6.png\n\n{digit_folder / '1.png'}\n")
    assert top1s(digits_yolo.predict(listing, verbose=False)) == [6, 1]


def test_url_served_on_localhost(digits_yolo, known_digits, http_server):
    root, base = http_server
    on_canvas(known_digits[3]).save(root / "three.jpg", quality=95)
    (r,) = digits_yolo.predict(f"{base}/three.jpg", verbose=False)
    assert r.probs.top1 == 3 and r.path == f"{base}/three.jpg" and r.name == "three.jpg"
    assert r.orig_shape == (48, 64) and r.orig_img.shape == (48, 64, 3)
    with pytest.raises(SourceError, match="HTTP 404"):
        digits_yolo.predict(f"{base}/missing.jpg", verbose=False)


def test_unreachable_url_is_a_source_error(digits_yolo):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError, match=f"cannot download 'http://127.0.0.1:{port}/a.jpg'"):
        digits_yolo.predict(f"http://127.0.0.1:{port}/a.jpg", verbose=False)


def test_pil_image_and_a_larger_jpeg_photo(digits_yolo, known_digits, tmp_path):
    img = on_canvas(known_digits[5], (640, 480))
    img.save(tmp_path / "five.jpg", quality=95)  # big enough for draft-mode decoding
    assert top1s(digits_yolo.predict(img, verbose=False)) == [5]
    (r,) = digits_yolo.predict(tmp_path / "five.jpg", verbose=False)
    assert r.probs.top1 == 5 and r.orig_shape == (480, 640) and r.orig_img.shape == (480, 640, 3)


def test_numpy_arrays_are_rgb(digits_yolo, known_digits, tmp_path):
    a = np.asarray(on_canvas(known_digits[6]))
    assert top1s(digits_yolo.predict(a, verbose=False)) == [6]
    assert top1s(digits_yolo.predict(a[..., 0], verbose=False)) == [6]  # grayscale HxW
    assert top1s(digits_yolo.predict(np.stack([a, a]), verbose=False)) == [6, 6]  # NHWC batch
    # A coloured image: the array must give exactly what the same RGB image gives from a file, and an OpenCV-style
    # BGR array (channels reversed) is a different image, not silently flipped back.
    colour = (a.astype(np.float32) * np.array([1.0, 0.35, 0.1])).astype(np.uint8)
    Image.fromarray(colour).save(tmp_path / "colour.png")
    (from_file,) = digits_yolo.predict(tmp_path / "colour.png", verbose=False)
    (rgb,) = digits_yolo.predict(colour, verbose=False)
    (bgr,) = digits_yolo.predict(np.ascontiguousarray(colour[..., ::-1]), verbose=False)
    np.testing.assert_array_equal(rgb.probs.data, from_file.probs.data)
    assert not np.allclose(bgr.probs.data, rgb.probs.data, atol=1e-4)
    (flipped_back,) = digits_yolo.predict(colour[..., ::-1][..., ::-1], verbose=False)
    np.testing.assert_array_equal(flipped_back.probs.data, rgb.probs.data)


def test_torch_tensor_bchw_in_0_1(digits_yolo, digits_root, digits_ref):
    import torch

    paths, labels, _ = list_split(digits_root, "val")
    idx = [i for i in range(len(labels)) if digits_ref[i].argmax() == labels[i] and digits_ref[i].max() > 0.9][:6]
    x = torch.from_numpy(np.stack([preprocess(Image.open(paths[i]), 32) for i in idx]))
    rs = digits_yolo.predict(x, batch=4, verbose=False)
    assert top1s(rs) == [labels[i] for i in idx]
    np.testing.assert_allclose(np.stack([r.probs.data for r in rs]), digits_ref[idx], atol=1e-5)
    big = torch.nn.functional.interpolate(x[:2], size=(64, 64), mode="nearest")  # resized by the shared path
    assert top1s(digits_yolo.predict(big[0], verbose=False)) == [labels[idx[0]]]
    assert rs[0].orig_img.shape == (32, 32, 3) and rs[0].orig_img.dtype == np.uint8
    with pytest.raises(SourceError, match=r"expected float in \[0, 1\]"):
        digits_yolo.predict(x * 255, verbose=False)


def test_video_frames_with_vid_stride(digits_yolo, known_digits, tmp_path):
    cv2 = pytest.importorskip("cv2", reason="video needs OpenCV: pip install 'yolocls[video]'")
    path = tmp_path / "digits.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for c in range(6):
        w.write(np.asarray(on_canvas(known_digits[c]))[..., ::-1].copy())  # OpenCV writes BGR
    w.release()
    rs = digits_yolo.predict(path, vid_stride=2, verbose=False)
    assert [r.frame for r in rs] == [1, 3, 5]
    assert top1s(rs) == [0, 2, 4]
    assert top1s(digits_yolo.predict(path, verbose=False)) == list(range(6))
