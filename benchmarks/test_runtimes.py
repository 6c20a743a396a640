"""Per-runtime inference at batch 1 and 32 (yolov8n-cls at 224), and export time per format: over every
registered format this machine can run (the others are skipped with the reason)."""

from __future__ import annotations

import numpy as np
import pytest

from yolocls.bench.options import export_options
from yolocls.exporters import exporter_names, get_exporter
from yolocls.runtimes import unavailable_reason

_artifacts: dict[str, object] = {}


def _spec_or_skip(fmt: str, run: bool):
    spec = get_exporter(fmt)[0]
    if spec.missing():
        pytest.skip(f"{fmt}: {spec.missing()} is not installed")
    why = unavailable_reason(fmt, "cpu")
    if run and why:
        pytest.skip(f"{fmt}: {why}")
    return spec


def _export(fmt: str, ckpt, dynamic: bool = True):
    from yolocls.engine.exporter import export_model
    from yolocls.models import load_checkpoint, model_from_checkpoint

    spec = get_exporter(fmt)[0]
    opts, _, _ = export_options(spec, imgsz=224, device="cpu", half=False, int8=False, dynamic=dynamic,
                                data="digits")
    return export_model(model_from_checkpoint(load_checkpoint(ckpt)), fmt, source=ckpt, **opts)


@pytest.fixture(scope="module")
def runtime_for(yolov8n_224):
    from yolocls.runtimes import load_runtime

    def get(fmt: str):
        if fmt not in _artifacts:
            _artifacts[fmt] = load_runtime(_export(fmt, yolov8n_224).path, fmt=fmt)
        return _artifacts[fmt]

    return get


@pytest.mark.parametrize("batch", [1, 32])
@pytest.mark.parametrize("fmt", exporter_names())
def test_inference(benchmark, runtime_for, fmt, batch):
    _spec_or_skip(fmt, run=True)
    rt = runtime_for(fmt)
    x = np.random.default_rng(0).random((batch, 3, 224, 224), dtype=np.float32)
    for _ in range(3):  # first-call effects
        rt.predict(x)
    benchmark.extra_info.update(precision=rt.precision, dynamic=rt.dynamic, images_per_call=batch)
    y = benchmark(rt.predict, x)
    assert y.shape == (batch, 1000)


@pytest.mark.parametrize("fmt", exporter_names())
def test_export_time(benchmark, yolov8n_224, tmp_path, fmt):
    _spec_or_skip(fmt, run=False)
    import shutil

    src = shutil.copy(yolov8n_224, tmp_path / "yolov8n-cls.pt")
    res = benchmark.pedantic(_export, args=(fmt, src, False), rounds=2, iterations=1)
    benchmark.extra_info.update(size_mb=res.size_mb)
    assert res.status == "ok"
