"""Probe points: every block's output named once, in computation order, none inside a Conv block (whose
BatchNorm converters fold), the same points for a fused model; capture returns what the modules computed."""

from __future__ import annotations

import torch

from yolocls.models import ClassificationModel
from yolocls.models.probes import block_points, capture, probed


def _model() -> ClassificationModel:
    return ClassificationModel("yolov8n-cls.yaml", nc=10).eval()


def test_points_are_the_blocks_and_the_modules_inside_them_in_computation_order():
    m = _model()
    points = block_points(m, depth=2, imgsz=32)
    top = [p for p in points if p.depth == 1]
    assert [p.name for p in top] == [f"model.{i}" for i in range(10)]
    assert [p.type for p in top] == ["Conv", "Conv", "C2f", "Conv", "C2f", "Conv", "C2f", "Conv", "C2f", "Classify"]
    names = [p.name for p in points]
    # a block's modules come before it; C2f's cv2 is the block's own output and the eval Dropout its input
    assert names[names.index("model.2") - 2:names.index("model.2") + 1] == ["model.2.cv1", "model.2.m.0", "model.2"]
    assert "model.2.cv2" not in names and "model.9.drop" not in names
    assert names[-4:] == ["model.9.conv", "model.9.pool", "model.9.linear", "model.9"]
    assert not any(n.startswith(("model.0.", "model.3.")) for n in names)  # conv+BN+SiLU is one unit
    assert all(p.index == int(p.name.split(".")[1]) for p in points)
    assert points[0].shape == (1, 16, 16, 16) and top[-1].shape == (1, 10)
    assert [p.name for p in block_points(m, depth=1, imgsz=32)] == [p.name for p in top]


def test_a_fused_model_has_the_same_points():
    m = _model()
    before = [(p.name, p.shape) for p in block_points(m, imgsz=64)]
    assert [(p.name, p.shape) for p in block_points(m.fuse(), imgsz=64)] == before


def test_capture_returns_each_modules_output_and_probed_restores_forward():
    m = _model()
    x = torch.rand(2, 3, 32, 32)
    seen = {}
    handles = [mod.register_forward_hook(lambda _m, _i, o, n=n: seen.__setitem__(n, o))
               for n, mod in m.named_modules() if n in ("model.3", "model.4.m.1")]
    with torch.no_grad():
        ref = m(x)
    for h in handles:
        h.remove()
    with torch.no_grad():
        y, (a, b) = capture(m, x, ["model.3", "model.4.m.1"])
    torch.testing.assert_close(y, ref)
    torch.testing.assert_close(a, seen["model.3"])
    torch.testing.assert_close(b, seen["model.4.m.1"])
    assert "forward" not in m.__dict__
    with probed(m, ["model.0"]):
        assert len(m(x)) == 2
    assert isinstance(m(x), torch.Tensor)
