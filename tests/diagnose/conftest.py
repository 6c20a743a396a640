"""Fixtures of the diff tests: the digits model's fp32 artifacts, and artifacts of a copy whose block 4 was
changed after training (what a converter bug in one layer looks like), exported once per session."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import torch

FORMATS = ("onnx", "openvino", "tflite", "torchscript")
DAMAGED_BLOCK = 4  # a C2f in the middle of the network
DAMAGED_MODULE = "model.4.m.1.cv2.conv"  # inside its second bottleneck
CALIB = {"data": "digits", "fraction": 0.05}  # int8 exports of the sensitivity tests: a small calibration set


@pytest.fixture(scope="session")
def diff_ckpt(digits_ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copy(digits_ckpt, tmp_path_factory.mktemp("diff") / "best.pt"))


@pytest.fixture(scope="session")
def fp32_artifacts(diff_ckpt: Path) -> dict[str, Path]:
    from yolocls import YOLO

    model = YOLO(diff_ckpt)
    return {f: Path(model.export(format=f)) for f in FORMATS}


def damaged_model(ckpt: Path) -> torch.nn.Module:
    """The checkpoint's model with one convolution inside block 4 scaled by 1.1 (every other weight as is)."""
    from yolocls import YOLO

    m = copy.deepcopy(YOLO(ckpt).model)
    with torch.no_grad():
        dict(m.named_modules())[DAMAGED_MODULE].weight.mul_(1.1)
    return m


@pytest.fixture(scope="session")
def damaged_artifacts(diff_ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from yolocls.engine.exporter import export_model

    model = damaged_model(diff_ckpt)
    stem = tmp_path_factory.mktemp("damaged") / "best.pt"
    return {f: Path(export_model(model, f, source=stem).path) for f in FORMATS[:3]}


def val_top1(artifact: str | Path, digits_val) -> float:
    """The artifact's top-1 on the whole digits val split, through its own runtime."""
    from yolocls.engine.metrics import topk_accuracy
    from yolocls.runtimes import load_runtime

    x, labels, _ = digits_val
    rt = load_runtime(artifact)
    try:
        return topk_accuracy(rt.predict(x), labels)[0]
    finally:
        rt.close()


def assert_ranked(sensitivity) -> None:
    """Every top-level block measured, most damaging first, each drop the measured top-1 against fp32."""
    s = sensitivity.search
    assert sorted(b.index for b in s.blocks) == list(range(10))
    drops = [b.drop for b in s.blocks]
    assert drops == sorted(drops, reverse=True)
    for b in s.blocks:
        assert b.drop == pytest.approx(100 * (s.reference_top1 - b.top1), abs=1e-3)


def assert_auto_within_gate(auto: str | Path, plain: str | Path, digits_val) -> None:
    """The keep_float=auto artifact loses at most the plain int8 export's top-1 and at most 1 point, as its
    recorded search measured, and its metadata names the blocks it kept."""
    from yolocls.runtimes import load_runtime

    md = load_runtime(auto).metadata
    search = md["keep_float_search"]
    reference = search["reference_top1"]
    plain_drop = 100 * (reference - val_top1(plain, digits_val))
    auto_drop = 100 * (reference - val_top1(auto, digits_val))
    assert auto_drop <= plain_drop + 1e-9 and auto_drop <= 1.0
    assert auto_drop == pytest.approx(search["chosen"]["drop"], abs=1e-3)  # what the search measured is the artifact
    assert [e["index"] for e in md["quantization"]["keep_float"]] == search["chosen"]["keep_float"]
