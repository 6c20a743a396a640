"""Fixtures of the benchmark suites (`pytest benchmarks/ --benchmark-only`; not part of the test run).

Models: an untrained yolov8n-cls at 224 (timing does not need trained weights), and a digits model trained
once and cached in $YOLOCLS_HOME/benchmarks/ (the demo model when it is cached already).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _datasets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = Path(os.environ.get("YOLOCLS_DATASETS") or tmp_path_factory.mktemp("datasets"))
    os.environ["YOLOCLS_DATASETS"] = str(d)
    return d


@pytest.fixture(scope="session")
def yolov8n_224(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yolov8n-cls (1000 classes, seeded random weights) saved as a checkpoint at imgsz 224."""
    import torch

    from yolocls.models import ClassificationModel, checkpoint_from_model, save_checkpoint

    torch.manual_seed(0)
    model = ClassificationModel("yolov8n-cls.yaml").eval()
    model.imgsz, model.args = 224, {}
    return save_checkpoint(checkpoint_from_model(model), tmp_path_factory.mktemp("yolov8n") / "yolov8n-cls.pt")


@pytest.fixture(scope="session")
def digits_model() -> Path:
    """A yolov8n-cls trained on digits at imgsz 32: the cached demo, else trained once (plain loop) and cached."""
    from yolocls.bench.demo import demo_path, home
    from yolocls.data.folder import resolve_data

    if demo_path().is_file():
        return demo_path()
    target = home() / "benchmarks" / "digits-model" / "best.pt"
    if not target.is_file():
        sys.path.insert(0, str(ROOT))
        from tests.conftest import train_digits_model

        train_digits_model(resolve_data("digits"), target)
    return target


@pytest.fixture(scope="session")
def jpegs_640x480(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Sixteen 640x480 JPEGs with photo-like content (smooth gradients plus noise), quality 90."""
    from PIL import Image

    d = tmp_path_factory.mktemp("jpegs")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640]
    paths = []
    for i in range(16):
        base = np.stack([(xx * (i + 1) / 640 * 255) % 256, (yy * 255 / 480), ((xx + yy) / 4 + 16 * i) % 256], -1)
        img = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        p = d / f"img{i:02d}.jpg"
        Image.fromarray(img).save(p, quality=90)
        paths.append(p)
    return paths
