"""The small-input convolution path used in training gives the plain convolution's outputs and gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from yolocls.models import ClassificationModel, blocks


@pytest.mark.parametrize(("c1", "c2", "k", "s", "size"), [
    (16, 32, 3, 1, (1, 1)),   # 3x3 on a 1x1 map: the centre tap only
    (16, 32, 3, 2, (2, 2)),   # stride-2 3x3 on 2x2: a 2x2 valid conv
    (32, 64, 1, 1, (1, 1)),   # 1x1 conv of a 1x1 map: a matrix product
    (8, 8, 5, 1, (2, 2)),     # 5x5 on 2x2: taps that miss on both sides, padding still needed
    (8, 8, 3, 2, (1, 3)),     # non-square map: crop along one axis only
    (8, 8, 7, 2, (3, 3)),     # 7x7 stride 2 on 3x3: outer taps dropped, padding and stride kept
])
def test_cropped_kernel_matches_the_plain_conv(c1, c2, k, s, size):
    torch.manual_seed(0)
    conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
    x = torch.randn(4, c1, *size, requires_grad=True)
    ref = conv(x)
    g_ref = torch.autograd.grad(ref.square().sum(), [x, conv.weight])
    out = blocks.small_input_conv(conv, x)
    assert out is not None and out.shape == ref.shape
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    g = torch.autograd.grad(out.square().sum(), [x, conv.weight])
    for a, b in zip(g, g_ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize(("k", "s", "size"), [(3, 1, (2, 2)), (3, 1, (8, 8)), (1, 1, (4, 4)), (3, 2, (8, 8))])
def test_every_tap_meeting_data_takes_the_plain_path(k, s, size):
    conv = nn.Conv2d(4, 4, k, s, k // 2, bias=False)
    assert blocks.small_input_conv(conv, torch.zeros(1, 4, *size)) is None


def test_training_step_of_the_model_at_32_px_is_unchanged(monkeypatch):
    """yolov8n-cls at 32 px reaches 2x2 and 1x1 maps: logits and every gradient match the plain convolutions."""
    torch.manual_seed(0)
    model = ClassificationModel("yolov8n-cls.yaml", nc=10).train()
    x = torch.rand(8, 3, 32, 32)

    def step():
        model.zero_grad()
        logits = model(x)
        logits.logsumexp(1).sum().backward()
        return logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    state = {k: v.clone() for k, v in model.state_dict().items()}
    fast_logits, fast_grads = step()
    model.load_state_dict(state)  # BatchNorm running stats moved: start the plain step from the same state
    monkeypatch.setattr(blocks, "small_input_conv", lambda conv, x: None)
    plain_logits, plain_grads = step()
    torch.testing.assert_close(fast_logits, plain_logits, atol=1e-5, rtol=1e-5)
    for name, g in plain_grads.items():
        torch.testing.assert_close(fast_grads[name], g, atol=1e-5, rtol=1e-4, msg=name)
