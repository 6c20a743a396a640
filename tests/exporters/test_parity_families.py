"""The parity table's family dimension: every format, exported once from a YOLO11n-cls and once from a YOLO26n-cls,
loaded back through its runtime and compared with the .pt on the whole digits val split (fp32 tolerances of
yolocls.bench.parity). YOLOv8n-cls is test_parity.py's model (its digits checkpoint).

The models are exported at imgsz 64, not 32: at 32 the attention block sees a 1x1 map, where its softmax is 1 and a
converter that mixed up positions and channels in the q/k/v reshapes would still agree; at 64 it attends over
2x2 positions, at the same export cost. Every third val image (120, 12 a class) keeps the runtimes' share of the
time near that of test_parity.py's 360 images at 32.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from yolocls import YOLO
from yolocls.bench.parity import assert_parity
from yolocls.exporters._registry import exporter_names
from yolocls.models.config import FAMILIES
from yolocls.runtimes import load_runtime

from ..conftest import train_digits_model
from .test_parity import CASES, _skip_if_platform_cannot_run

IMGSZ = 64
FAMILY_MODELS = {"yolo11": "yolo11n-cls.yaml", "yolo26": "yolo26n-cls.yaml"}
COVERED_BY_TEST_PARITY = "yolov8"  # the digits checkpoint of tests/conftest.py is a yolov8n-cls


def _one_row_per_format() -> list[tuple[str, dict, str]]:
    """The fp32 row of each format in CASES (a format with no fp32 row keeps its first one: edgetpu is int8)."""
    rows: dict[str, tuple[str, dict, str]] = {}
    for fmt, kwargs, precision in CASES:
        if fmt not in rows or (precision == "fp32" and rows[fmt][2] != "fp32"):
            rows[fmt] = (fmt, kwargs, precision)
    return list(rows.values())


FAMILY_CASES = [(family, *row) for family in FAMILY_MODELS for row in _one_row_per_format()]


@pytest.fixture(scope="module")
def family_ckpts(digits_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """yolo11n-cls trained 2 epochs on digits at imgsz 32 (val top1 ~0.9), and the same weights in a yolo26n-cls
    (Ultralytics 8.4.190 builds the same network for both names; a second training would prove nothing more)."""
    from yolocls.models import (
        ClassificationModel,
        checkpoint_from_model,
        load_checkpoint,
        model_from_checkpoint,
        save_checkpoint,
    )

    d = tmp_path_factory.mktemp("families")
    out = {"yolo11": train_digits_model(digits_root, d / "yolo11" / "best.pt", epochs=2,
                                        model_cfg=FAMILY_MODELS["yolo11"])}
    src = model_from_checkpoint(load_checkpoint(out["yolo11"]))
    m = ClassificationModel(FAMILY_MODELS["yolo26"], nc=src.nc)
    m.load_state_dict(src.state_dict())
    m.names, m.imgsz, m.args = src.names, src.imgsz, src.args
    out["yolo26"] = save_checkpoint(checkpoint_from_model(m.eval()), d / "yolo26" / "best.pt")
    return out


@pytest.fixture(scope="module")
def val64(digits_root: Path) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    from PIL import Image

    from yolocls.data.folder import list_split
    from yolocls.data.preprocess import preprocess

    paths, labels, names = list_split(digits_root, "val")
    paths, labels = paths[::3], labels[::3]
    return np.stack([preprocess(Image.open(p), IMGSZ) for p in paths]), np.array(labels), names


@pytest.fixture(scope="module")
def family_refs(family_ckpts, val64) -> dict[str, np.ndarray]:
    return {f: load_runtime(p).predict(val64[0]) for f, p in family_ckpts.items()}


@pytest.mark.slow
@pytest.mark.parametrize(("family", "fmt", "kwargs", "precision"), FAMILY_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in FAMILY_CASES])
def test_family_artifact_matches_pt_on_digits_val(family, fmt, kwargs, precision, family_ckpts, val64, family_refs):
    _skip_if_platform_cannot_run(fmt)
    x, labels, names = val64
    path = YOLO(family_ckpts[family]).export(format=fmt, imgsz=IMGSZ, **kwargs)
    rt = load_runtime(path)
    assert rt.names == names and rt.imgsz == IMGSZ
    assert_parity(rt.predict(x), family_refs[family], labels, precision=precision, fmt=f"{family} {fmt}{kwargs or ''}",
                  names=[names[i] for i in labels])
    if fmt in ("saved_model", "pb", "tfjs", "paddle"):  # their input declares a free batch, but the converters
        assert rt.free_batch is False  # keep the attention reshape at batch 1: the load-time probe sees it


@pytest.mark.slow
@pytest.mark.coreml
def test_yolo11_converts_to_core_ml_with_its_attention(family_ckpts, tmp_path):
    """Core ML predicts on macOS only (its parity row skips elsewhere); the conversion, where the attention block
    needed a shape-free formulation, runs here: an ML program whose attention is two matmuls and a softmax.
    (yolo26n-cls is the same network: tests/models/test_families.py.)"""
    from yolocls.engine.exporter import export_model
    from yolocls.models import load_checkpoint, model_from_checkpoint

    src = Path(shutil.copy(family_ckpts["yolo11"], tmp_path / "best.pt"))
    res = export_model(model_from_checkpoint(load_checkpoint(src)), "coreml", source=src, imgsz=IMGSZ)
    assert res.status == "ok" and Path(res.path).name == "best.mlpackage"
    import coremltools as ct

    spec = ct.models.MLModel(res.path, skip_model_load=True).get_spec()
    assert spec.WhichOneof("Type") == "mlProgram"
    ops = [op.type for f in spec.mlProgram.functions.values() for b in f.block_specializations.values()
           for op in b.operations]
    assert ops.count("matmul") == 2 and ops.count("softmax") == 2  # attention's, and the output's
    (inp,), (out,) = spec.description.input, spec.description.output
    assert list(inp.type.multiArrayType.shape) == [1, 3, IMGSZ, IMGSZ] and list(out.type.multiArrayType.shape) == [1, 10]


def test_every_family_has_a_parity_case_for_every_format():
    covered = {(COVERED_BY_TEST_PARITY, c[0]) for c in CASES} | {(c[0], c[1]) for c in FAMILY_CASES}
    missing = [(family, fmt) for family in FAMILIES for fmt in exporter_names() if (family, fmt) not in covered]
    assert not missing, f"model families x formats without a parity test: {missing}; add them to FAMILY_MODELS"
