"""The predictor: errors, streaming, options, exported models, the CLI."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.engine._digits import on_canvas
from yolocls.cli import main
from yolocls.engine.prefetch import ordered_map
from yolocls.errors import ConfigError, SourceError


def test_missing_path_empty_folder_and_bad_inputs_are_clear_errors(digits_yolo, tmp_path):
    with pytest.raises(SourceError, match="'nope/none.jpg' does not exist"):
        digits_yolo.predict("nope/none.jpg")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(SourceError, match=r"has no images.*subfolders \(sub\).*\*\*"):
        digits_yolo.predict(tmp_path / "empty", stream=True)  # raised at the call, not at the first next()
    with pytest.raises(SourceError, match="matched no images"):
        digits_yolo.predict(str(tmp_path / "*.jpg"))
    with pytest.raises(SourceError, match="no source given"):
        digits_yolo.predict()
    with pytest.raises(SourceError, match="dtype float32; NumPy sources must be uint8"):
        digits_yolo.predict(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(SourceError, match="line 2: source .*gone.png' does not exist"):
        (tmp_path / "l.txt").write_text("# x\ngone.png\n")
        digits_yolo.predict(tmp_path / "l.txt")
    with pytest.raises(SourceError, match="cannot predict on a dict"):
        digits_yolo.predict({"a": 1})
    with pytest.raises(ConfigError, match="Did you mean 'batch'"):
        digits_yolo.predict(tmp_path, bacth=2)


def test_unreadable_image_in_a_folder_is_reported_and_the_rest_go_on(digits_yolo, known_digits, tmp_path):
    d = tmp_path / "mixed"
    d.mkdir()
    shutil.copy(known_digits[1], d / "a.png")
    (d / "b.jpg").write_bytes(b"this is not a jpeg")
    shutil.copy(known_digits[2], d / "c.png")
    with pytest.warns(UserWarning, match="skipping unreadable image.*b.jpg"):
        rs = digits_yolo.predict(d, batch=2, verbose=False)
    assert [r.ok for r in rs] == [True, False, True]
    assert rs[0].probs.top1 == 1 and rs[2].probs.top1 == 2
    assert "cannot read image" in rs[1].error and rs[1].probs is None and rs[1].summary() == []
    # One image on its own: its error is the call's error.
    with pytest.raises(SourceError, match="cannot read image .*b.jpg"):
        digits_yolo.predict(d / "b.jpg")


def test_stream_yields_lazily_and_holds_no_decoded_files(digits_yolo, known_digits, tmp_path):
    for i in range(12):
        shutil.copy(known_digits[i % 10], tmp_path / f"{i:02d}.png")
    gen = digits_yolo.predict(tmp_path, stream=True, batch=4, verbose=False)
    assert isinstance(gen, types.GeneratorType)
    first = next(gen)
    assert first.probs.top1 == 0 and callable(first._orig)  # the file is re-read only if orig_img is asked for
    assert first.orig_img.shape == (32, 32, 3)
    rest = list(gen)
    assert [r.probs.top1 for r in rest] == [i % 10 for i in range(1, 12)]


def test_leaving_a_stream_early_stops_the_decoding_threads(digits_yolo, known_digits, tmp_path):
    for i in range(30):
        shutil.copy(known_digits[i % 10], tmp_path / f"{i:02d}.png")
    gen = digits_yolo.predict(tmp_path, stream=True, batch=2, workers=2, verbose=False)
    for r in gen:
        assert r.probs.top1 == 0
        break
    gen.close()
    assert not [t.name for t in threading.enumerate() if t.name.startswith("yolocls-")]


def test_decoding_runs_ahead_by_a_bounded_amount_even_on_an_endless_source():
    seen = []
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            seen.append(i)
        return i * 2

    gen = ordered_map(work, itertools.count(), workers=3, depth=8)
    assert list(itertools.islice(gen, 20)) == list(range(0, 40, 2))  # in order
    gen.close()  # stops the feeder and the pool
    assert len(seen) <= 20 + 8 + 3 + 1
    assert list(ordered_map(work, range(5), workers=0, depth=1)) == [0, 2, 4, 6, 8]


def test_an_error_from_the_source_iterator_reaches_the_caller():
    def items():
        yield 1
        raise SourceError("video broke")

    with pytest.raises(SourceError, match="video broke"):
        list(ordered_map(lambda x: x, items(), workers=2, depth=2))


def test_imgsz_defaults_to_the_model_and_can_be_set(digits_yolo, known_digits, capsys):
    digits_yolo.predict(known_digits[0])
    assert ": 32x32 0 " in capsys.readouterr().out
    (r,) = digits_yolo.predict(known_digits[0], imgsz=64)
    assert ": 64x64 " in capsys.readouterr().out and r.probs.data.shape == (10,)
    with pytest.raises(ConfigError, match="square"):
        digits_yolo.predict(known_digits[0], imgsz=[32, 64])


def test_an_exported_onnx_model_predicts_through_the_same_code_without_torch(ckpt_copy, known_digits, tmp_path):
    from yolocls import YOLO

    onnx_path = YOLO(ckpt_copy).export(format="onnx", imgsz=32)
    on_canvas(known_digits[9], (96, 64)).save(tmp_path / "nine.jpg", quality=95)
    code = ("import sys; from yolocls import YOLO; "
            f"r = YOLO({str(onnx_path)!r}).predict({str(tmp_path / 'nine.jpg')!r}, verbose=False)[0]; "
            "print(r.probs.top1, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["9", "False"]


def test_cli_prints_a_line_per_image_and_saves_readable_annotated_images(digits_ckpt, known_digits, tmp_path,
                                                                         capsys, monkeypatch):
    src = tmp_path / "photos"
    src.mkdir()
    for c in (3, 8):
        on_canvas(known_digits[c], (320, 240)).save(src / f"digit{c}.jpg", quality=95)
    monkeypatch.chdir(tmp_path)
    args = ["predict", f"model={digits_ckpt}", f"source={src}", "save=True", "save_txt=True", "batch=2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert re.fullmatch(rf"image 1/2 {re.escape(str(src / 'digit3.jpg'))}: 32x32 3 \d\.\d\d(, \d \d\.\d\d){{4}}, "
                        r"\d+\.\dms", lines[0]), lines[0]
    assert lines[1].startswith(f"image 2/2 {src / 'digit8.jpg'}: 32x32 8 ")
    assert re.match(r"Speed: \d+\.\dms preprocess, \d+\.\dms inference, \d+\.\dms postprocess per image at shape "
                    r"\(2, 3, 32, 32\)", lines[2])
    run = tmp_path / "runs" / "classify" / "predict"
    assert f"Results saved to {Path('runs/classify/predict')}" in out
    for c in (3, 8):
        saved = Image.open(run / f"digit{c}.jpg")
        assert saved.size == (320, 240)  # the original size
        drawn = np.asarray(saved.convert("RGB"), dtype=np.int16)
        plain = np.asarray(Image.open(src / f"digit{c}.jpg").convert("RGB"), dtype=np.int16)
        assert np.abs(drawn[:60, :110] - plain[:60, :110]).mean() > 10  # the label block, top-left
        assert np.abs(drawn[150:, 200:] - plain[150:, 200:]).mean() < 3  # the rest is the photo
        label = (run / "labels" / f"digit{c}.txt").read_text().splitlines()
        assert len(label) == 5 and label[0].split()[1] == str(c) and float(label[0].split()[0]) > 0.5
    assert main([*args[:3], "stream=True"]) == 0 and not (tmp_path / "runs" / "classify" / "predict2").exists()
    assert main([*args[:3], "save=True"]) == 0 and (tmp_path / "runs" / "classify" / "predict2").is_dir()


def test_cli_saves_annotated_video(digits_ckpt, known_digits, tmp_path, capsys):
    cv2 = pytest.importorskip("cv2", reason="video needs OpenCV: pip install 'yolocls[video]'")
    path = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (96, 64))
    for c in (1, 2, 3, 4):
        w.write(np.asarray(on_canvas(known_digits[c], (96, 64)))[..., ::-1].copy())
    w.release()
    assert main(["predict", f"model={digits_ckpt}", f"source={path}", "save=True", "save_txt=True",
                 f"project={tmp_path}", "name=vid", "vid_stride=2"]) == 0
    out = capsys.readouterr().out
    assert f"video 1/2 (frame 1/4) {path}: 32x32 1 " in out and f"video 2/2 (frame 3/4) {path}: 32x32 3 " in out
    cap = cv2.VideoCapture(str(tmp_path / "vid" / "clip.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 2 and int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 96
    cap.release()
    assert sorted(p.name for p in (tmp_path / "vid" / "labels").iterdir()) == ["clip_1.txt", "clip_3.txt"]
