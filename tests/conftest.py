"""Shared fixtures: the digits dataset and a small model trained on it (once per test session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

# One pytest process loads every backend: TensorFlow (also via coremltools/onnx2tf) before Paddle segfaults,
# so Paddle goes first (BACKENDS.md trap 3), exactly as yolocls._backends.import_tensorflow() does in plugins.
from yolocls._backends import paddle_first  # noqa: E402

paddle_first()

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def _session_folder(factory: pytest.TempPathFactory, name: str, env: str):
    """A session temp folder named in the environment variable `env` (children inherit it), restored after."""
    d = factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(env, str(d))
        yield d


@pytest.fixture(scope="session", autouse=True)
def _datasets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Named datasets and `digits` go to a session temp folder, never into the checkout."""
    yield from _session_folder(tmp_path_factory, "datasets", "YOLOCLS_DATASETS")


@pytest.fixture(scope="session", autouse=True)
def _settings_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A settings file of the session's own (`yolocls settings`), so the user's never changes a test and no test
    writes the user's."""
    yield from _session_folder(tmp_path_factory, "config", "YOLOCLS_CONFIG_DIR")


@pytest.fixture(scope="session")
def digits_root(_datasets_dir: Path) -> Path:
    from yolocls.data.folder import resolve_data

    return resolve_data("digits")


def train_digits_model(root: Path, out: Path, epochs: int = 6, imgsz: int = 32, seed: int = 0,
                       model_cfg: str = "yolov8n-cls.yaml") -> Path:
    """A plain training loop (no yolocls trainer) so format tests do not depend on the trainer."""
    import torch
    from PIL import Image

    from yolocls.data.folder import list_split
    from yolocls.data.preprocess import preprocess
    from yolocls.models import ClassificationModel, checkpoint_from_model, save_checkpoint

    torch.manual_seed(seed)
    paths, labels, names = list_split(root, "train")
    x = torch.from_numpy(np.stack([preprocess(Image.open(p), imgsz) for p in paths]))
    y = torch.tensor(labels)
    model = ClassificationModel(model_cfg, nc=len(names))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    model.train()
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=g).split(64):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    model.names, model.imgsz = names, imgsz
    model.args = {"data": str(root), "imgsz": imgsz, "epochs": epochs}
    return save_checkpoint(checkpoint_from_model(model, epoch=epochs - 1), out)


@pytest.fixture(scope="session")
def digits_ckpt(digits_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A yolov8n-cls trained a few epochs on digits at imgsz 32 (val top1 is well above 0.9)."""
    return train_digits_model(digits_root, tmp_path_factory.mktemp("digits_model") / "best.pt")


def _ultralytics_file(name: str) -> Path:
    p = FIXTURES / "ultralytics" / name
    if not p.is_file():
        pytest.skip(f"shared fixture {p} is missing (it lives in ../shared/fixtures beside the checkout)")
    return p


@pytest.fixture(scope="session")
def ultralytics_fixture() -> Path:
    return _ultralytics_file("yolov8n-cls-digits.pt")


@pytest.fixture(scope="session")
def ultralytics_yolo11_fixture() -> Path:
    """A real Ultralytics 8.4.190 yolo11n-cls best.pt (3 epochs on digits at imgsz 32)."""
    return _ultralytics_file("yolo11n-cls-digits.pt")


@pytest.fixture(scope="session")
def digits_val(digits_root: Path) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """The whole digits val split, preprocessed at imgsz 32: (x NCHW float32, labels, names)."""
    from PIL import Image

    from yolocls.data.folder import list_split
    from yolocls.data.preprocess import preprocess

    paths, labels, names = list_split(digits_root, "val")
    return np.stack([preprocess(Image.open(p), 32) for p in paths]), np.array(labels), names


@pytest.fixture(scope="session")
def digits_ref(digits_ckpt: Path, digits_val) -> np.ndarray:
    """The .pt's probabilities on the val split: the parity reference."""
    from yolocls.runtimes import load_runtime

    return load_runtime(digits_ckpt).predict(digits_val[0])


@pytest.fixture
def ckpt_copy(digits_ckpt: Path, tmp_path: Path) -> Path:
    """The trained checkpoint copied into this test's folder, so its artifacts land there."""
    import shutil

    return Path(shutil.copy(digits_ckpt, tmp_path / "best.pt"))
