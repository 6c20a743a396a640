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
