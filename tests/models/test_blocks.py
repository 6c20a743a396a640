"""The small-input convolution paths used in training give the plain convolution's outputs and gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from yolocls.models import ClassificationModel, blocks


def _check_same_conv(fn, conv, x):
    """fn(conv, x) gives conv(x)'s output, layout and gradients (input, weight, bias)."""
    x = x.detach().requires_grad_()
    params = [p for p in (conv.weight, conv.bias) if p is not None]
    ref = conv(x)
    g_ref = torch.autograd.grad(ref.square().sum(), [x, *params])
    out = fn(conv, x)
    assert out is not None and out.shape == ref.shape
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    g = torch.autograd.grad(out.square().sum(), [x, *params])
    for a, b in zip(g, g_ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-5)
    return out


@pytest.mark.parametrize(("c1", "c2", "k", "s", "size"), [
    (16, 32, 3, 1, (1, 1)),   # 3x3 on a 1x1 map: the centre tap only
    (16, 32, 3, 2, (2, 2)),   # stride-2 3x3 on 2x2: a 2x2 valid conv
    (8, 8, 5, 1, (2, 2)),     # 5x5 on 2x2: taps that miss on both sides, padding still needed
    (8, 8, 3, 2, (1, 3)),     # non-square map: crop along one axis only
    (8, 8, 7, 2, (3, 3)),     # 7x7 stride 2 on 3x3: outer taps dropped, padding and stride kept
])
def test_cropped_kernel_matches_the_plain_conv(c1, c2, k, s, size):
    torch.manual_seed(0)
    conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
    _check_same_conv(blocks._cropped_conv, conv, torch.randn(4, c1, *size))


@pytest.mark.parametrize(("k", "s", "size"), [(3, 1, (2, 2)), (3, 1, (8, 8)), (1, 1, (4, 4)), (3, 2, (8, 8))])
def test_every_tap_meeting_data_leaves_nothing_to_crop(k, s, size):
    conv = nn.Conv2d(4, 4, k, s, k // 2, bias=False)
    assert blocks._cropped_conv(conv, torch.zeros(1, 4, *size)) is None


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(("c1", "c2", "k", "s", "size", "bias"), [
    (16, 32, 3, 1, (2, 2), False),  # C2f bottleneck at 2x2: every tap meets data, 16 blocks of the dense weight
    (16, 32, 3, 2, (2, 2), True),   # stride 2 down to 1x1
    (32, 64, 1, 1, (1, 1), True),   # a 1x1 kernel (dispatched to _pointwise_conv; the dense form holds too)
    (8, 8, 3, 1, (1, 1), False),    # 3x3 on 1x1: the centre tap
    (8, 8, 5, 2, (1, 3), False),    # non-square, even output size, taps that miss on both sides
    (8, 12, 3, 1, (2, 1), True),
])
def test_dense_conv_matches_the_plain_conv(c1, c2, k, s, size, bias, channels_last):
    torch.manual_seed(0)
    conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=bias)
    x = torch.randn(4, c1, *size)
    if channels_last:
        conv, x = conv.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    out = _check_same_conv(blocks._dense_conv, conv, x)
    assert out.is_contiguous(memory_format=torch.channels_last)  # a view of the product, no copy


@pytest.mark.parametrize("size", [(2, 2), (4, 4), (8, 8), (3, 5)])
def test_pointwise_conv_matches_the_plain_conv(size):
    torch.manual_seed(0)
    conv = nn.Conv2d(24, 16, 1, 1, 0, bias=True).to(memory_format=torch.channels_last)
    _check_same_conv(blocks._pointwise_conv, conv, torch.randn(4, 24, *size).contiguous(
        memory_format=torch.channels_last))


@pytest.mark.parametrize(("k", "s", "size", "path"), [
    (3, 1, (2, 2), "_dense_conv"), (3, 1, (1, 8), "_cropped_conv"), (1, 1, (4, 4), "_pointwise_conv"),
    (1, 1, (8, 8), "_pointwise_conv"), (1, 1, (1, 1), "_pointwise_conv"), (1, 1, (16, 16), None), (3, 1, (8, 8), None), (3, 2, (1, 3), "_dense_conv"),
    (7, 2, (3, 3), "_cropped_conv"),
])
def test_each_map_size_takes_its_path(monkeypatch, k, s, size, path):
    """1x1 kernels up to 8x8: over pixels; other kernels on tiny maps: dense; taps on padding only: cropped;
    else the plain conv."""
    taken = []
    for name in ("_dense_conv", "_pointwise_conv", "_cropped_conv"):
        real = getattr(blocks, name)
        monkeypatch.setattr(blocks, name, lambda conv, x, _n=name, _f=real: taken.append(_n) or _f(conv, x))
    conv = nn.Conv2d(4, 4, k, s, k // 2, bias=False)
    out = blocks.small_input_conv(conv, torch.randn(2, 4, *size))
    assert (out is None) == (path is None)
    assert taken[0] == (path or "_cropped_conv")  # the plain conv is what a crop with nothing to crop falls to
    grouped = nn.Conv2d(4, 4, k, s, k // 2, groups=2, bias=False)  # grouped convs are only ever cropped
    taken.clear()
    blocks.small_input_conv(grouped, torch.randn(2, 4, *size))
    assert taken == ["_cropped_conv"]


@pytest.mark.parametrize("channels_last", [False, True], ids=["contiguous", "channels-last"])
@pytest.mark.parametrize("name", ["yolov8n-cls.yaml", "yolo11n-cls.yaml", "yolo26n-cls.yaml"])
def test_training_step_of_the_model_at_32_px_is_unchanged(monkeypatch, name, channels_last):
    """Each family at 32 px reaches 2x2 and 1x1 maps (YOLO11/26's attention and its depthwise positional conv run
    at 1x1): logits and every gradient match the plain convolutions, in the memory format the trainer uses too."""
    torch.manual_seed(0)
    model = ClassificationModel(name, nc=10).train()
    x = torch.rand(8, 3, 32, 32)
    if channels_last:
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    taken = []
    real = blocks.small_input_conv
    monkeypatch.setattr(blocks, "small_input_conv", lambda conv, x: taken.append(conv.groups > 1) or real(conv, x))

    def step():
        model.zero_grad()
        logits = model(x)
        logits.logsumexp(1).sum().backward()
        return logits.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}

    state = {k: v.clone() for k, v in model.state_dict().items()}
    fast_logits, fast_grads = step()
    assert taken and any(taken) == name.startswith(("yolo11", "yolo26"))  # their depthwise pe convs went through it
    model.load_state_dict(state)  # BatchNorm running stats moved: start the plain step from the same state
    monkeypatch.setattr(blocks, "small_input_conv", lambda conv, x: None)
    plain_logits, plain_grads = step()
    # float rounding: one thread sums in another order than two (1.1e-5 seen on logits of ~0.04 with one)
    torch.testing.assert_close(fast_logits, plain_logits, atol=3e-5, rtol=1e-5)
    for n, g in plain_grads.items():  # float rounding, amplified by BatchNorm over 8 samples: ~2e-5 of ~1
        torch.testing.assert_close(fast_grads[n], g, atol=1e-4, rtol=1e-4, msg=n)
