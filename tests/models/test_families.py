"""YOLO11-cls and YOLO26-cls blocks: the attention computes what its definition says, in both of its formulations,
the YAML rules give each scale its inner blocks, and the two families build one network."""

from __future__ import annotations

import pytest
import torch

from yolocls.models import ClassificationModel, randomize_batchnorm
from yolocls.models.attention import Attention, reshape_with_input_sizes
from yolocls.models.csp import C3k


def reference_attention(a: Attention, x: torch.Tensor) -> torch.Tensor:
    """The definition, one image and one head at a time: softmax(q^T k * scale) weighs the values of every
    position; the depthwise conv of the values is added before the projection."""
    b, c, h, w = x.shape
    qkv = a.qkv(x)
    per_head = 2 * a.key_dim + a.head_dim
    out = torch.zeros(b, c, h * w)
    for i in range(b):
        for head in range(a.num_heads):
            chunk = qkv[i, head * per_head:(head + 1) * per_head].reshape(per_head, h * w)
            q, k, v = chunk[:a.key_dim], chunk[a.key_dim:2 * a.key_dim], chunk[2 * a.key_dim:]
            weights = torch.softmax(q.T @ k * a.scale, dim=1)  # (positions, positions): row p attends to all
            out[i, head * a.head_dim:(head + 1) * a.head_dim] = v @ weights.T
    values = torch.cat([qkv[:, h_ * per_head + 2 * a.key_dim:(h_ + 1) * per_head] for h_ in range(a.num_heads)], 1)
    return a.proj(out.reshape(b, c, h, w) + a.pe(values))


@pytest.fixture(scope="module")
def attention() -> Attention:
    torch.manual_seed(0)
    return randomize_batchnorm(Attention(128, num_heads=2)).eval()


@pytest.mark.parametrize("size", [(1, 1), (2, 2), (3, 5), (7, 7)])
def test_attention_is_its_definition_in_both_formulations(attention, size):
    x = torch.randn(3, 128, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = reference_attention(attention, x)
        default = attention(x)
        attention.input_sizes = True
        try:
            explicit = attention(x)
            explicit_cl = attention(x.contiguous(memory_format=torch.channels_last))
        finally:
            attention.input_sizes = False
        default_cl = attention(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(default, ref, atol=1e-5, rtol=1e-5)
    assert torch.equal(explicit, default)  # the same operations in the same order: equal to the bit
    torch.testing.assert_close(default_cl, default, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(explicit_cl, default, atol=1e-6, rtol=1e-6)


def test_reshape_with_input_sizes_switches_every_attention_and_keeps_the_outputs():
    torch.manual_seed(0)
    m = randomize_batchnorm(ClassificationModel("yolo11n-cls.yaml", nc=10)).eval()
    x = torch.rand(2, 3, 96, 96)  # a 3x3 map at the attention
    with torch.no_grad():
        before = m(x)
        assert reshape_with_input_sizes(m) is m
        after = m(x)
    assert all(a.input_sizes for a in m.modules() if isinstance(a, Attention)) and torch.equal(before, after)


def test_attention_trains_channels_last():
    """The trainer runs channels-last on CPU: no view of a permuted tensor may be needed."""
    a = Attention(64, num_heads=1).train().to(memory_format=torch.channels_last)
    x = torch.randn(4, 64, 2, 2).contiguous(memory_format=torch.channels_last).requires_grad_()
    a(x).square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize(("scale", "c3k", "heads"), [("n", [False, False, True, True], 2),
                                                     ("s", [False, False, True, True], 4),
                                                     ("m", [True] * 4, 4), ("x", [True] * 4, 6)])
def test_each_scale_gets_its_inner_blocks_and_heads(scale, c3k, heads):
    """The rows say c3k only for layers 6 and 8; scales m, l and x use C3k everywhere. One head per 64 channels."""
    with torch.device("meta"):
        layers = ClassificationModel(f"yolo11{scale}-cls.yaml").model
    assert [isinstance(layers[i].m[0], C3k) for i in (2, 4, 6, 8)] == c3k
    assert layers[9].m[0].attn.num_heads == heads


@pytest.mark.parametrize("scale", "nsmlx")
def test_yolo26_builds_the_yolo11_network(scale):
    with torch.device("meta"):
        a, b = ClassificationModel(f"yolo11{scale}-cls.yaml"), ClassificationModel(f"yolo26{scale}-cls.yaml")
    assert {k: v.shape for k, v in a.state_dict().items()} == {k: v.shape for k, v in b.state_dict().items()}
    assert [type(m).__name__ for m in a.modules()] == [type(m).__name__ for m in b.modules()]
    assert b.yaml["yaml_file"] == f"yolo26{scale}-cls.yaml"
