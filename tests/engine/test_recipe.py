"""The training recipe piece by piece: parameter groups, warm-up values, EMA decay, best.pt choice, BatchNorm
settings. Behaviour, not accuracy (benchmarks/train_accuracy.py measures that)."""

from __future__ import annotations

import math

import pytest
import torch

from yolocls.engine.ema import ModelEMA, ema_decay
from yolocls.engine.optim import (
    OptimizerChoice,
    apply_warmup,
    build_optimizer,
    default_warmup_epochs,
    lr_factor,
    param_groups,
    warmup_iterations,
)
from yolocls.engine.trainer import is_better, make_args
from yolocls.models import ClassificationModel


@pytest.fixture(scope="module")
def model() -> ClassificationModel:
    torch.manual_seed(0)
    return ClassificationModel("yolov8n-cls.yaml", nc=10)


def test_param_groups_split_weights_norms_and_biases(model: ClassificationModel):
    decay, no_decay, bias = param_groups(model)
    names = {id(p): n for n, p in model.named_parameters()}
    assert len(decay) + len(no_decay) + len(bias) == len(list(model.parameters()))
    assert all(names[id(p)].endswith("bias") for p in bias) and len(bias) > 0
    assert all(names[id(p)].endswith(".bn.weight") for p in no_decay) and len(no_decay) > 0
    assert all(p.ndim in (2, 4) for p in decay)  # conv filters and the Linear's matrix: the only decayed tensors
    assert sum(p.ndim == 2 for p in decay) == 1

    opt = build_optimizer(model, OptimizerChoice("SGD", 0.01, 0.937, "test"), weight_decay=5e-4)
    wd = [g["weight_decay"] for g in opt.param_groups]
    assert wd == [0.0, 5e-4, 0.0]  # bias, weights, norms: the order apply_warmup relies on
    assert [len(g["params"]) for g in opt.param_groups] == [len(bias), len(decay), len(no_decay)]


def test_warmup_values_at_given_iterations(model: ClassificationModel):
    opt = build_optimizer(model, OptimizerChoice("SGD", 0.01, 0.937, "test"), weight_decay=5e-4)
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    lf = lr_factor(10, 0.01, cos=False)
    nw = 46
    apply_warmup(opt, 0, nw, lf(0), warmup_bias_lr=0.1, warmup_momentum=0.8, momentum=0.937)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.0, 0.0]  # biases fall from 0.1, weights rise from 0
    assert {g["momentum"] for g in opt.param_groups} == {0.8}
    apply_warmup(opt, 23, nw, lf(1), warmup_bias_lr=0.1, warmup_momentum=0.8, momentum=0.937)
    target = 0.01 * lf(1)
    assert opt.param_groups[0]["lr"] == pytest.approx((0.1 + target) / 2)
    assert opt.param_groups[1]["lr"] == pytest.approx(target / 2) == opt.param_groups[2]["lr"]
    assert opt.param_groups[1]["momentum"] == pytest.approx((0.8 + 0.937) / 2)
    apply_warmup(opt, nw, nw, lf(2), warmup_bias_lr=0.1, warmup_momentum=0.8, momentum=0.937)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.01 * lf(2)] * 3)
    assert {g["momentum"] for g in opt.param_groups} == {0.937}


def test_adamw_warmup_leaves_betas_alone(model: ClassificationModel):
    opt = build_optimizer(model, OptimizerChoice("AdamW", 0.000714, 0.9, "test"), weight_decay=5e-4)
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    apply_warmup(opt, 5, 10, 1.0, warmup_bias_lr=0.0, warmup_momentum=0.8, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.000357] * 3)
    assert all(g["betas"] == (0.9, 0.999) and "momentum" not in g for g in opt.param_groups)


def test_best_checkpoint_choice_breaks_top1_ties_by_val_loss():
    assert is_better(0.90, 0.50, 0.89, 0.10)  # higher top-1 wins whatever the loss
    assert not is_better(0.89, 0.01, 0.90, 0.50)
    assert is_better(0.90, 0.40, 0.90, 0.50)  # a tie: the lower loss wins
    assert not is_better(0.90, 0.50, 0.90, 0.50)  # a full tie keeps the earlier epoch
    assert is_better(0.0, 2.3, -1.0, math.inf)  # the first epoch always counts


def test_default_warmup_is_three_epochs_at_most_a_tenth_of_the_run():
    assert [default_warmup_epochs(e) for e in (1, 5, 10, 20, 30, 100, 300)] == [0.1, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert make_args({"epochs": 10})["warmup_epochs"] == 1.0
    assert make_args({"epochs": 100})["warmup_epochs"] == 3.0
    assert make_args({"epochs": 10, "warmup_epochs": 3})["warmup_epochs"] == 3  # an explicit value stands


def test_warmup_iterations_leave_the_last_epoch_out():
    assert warmup_iterations(1.0, 23, epochs=10) == 23
    assert warmup_iterations(0.2, 23, epochs=2) == 5  # a two-epoch run's default: a fifth of an epoch
    assert warmup_iterations(0.1, 23, epochs=1) == -1  # a one-epoch run has no warm-up (Ultralytics' rule too)
    assert warmup_iterations(3.0, 23, epochs=2) == 23  # capped at epochs - 1, as Ultralytics does
    assert warmup_iterations(3.0, 23, epochs=1) == -1 and warmup_iterations(0.0, 23, epochs=10) == -1


def test_ema_decay_curve_spans_a_ninth_of_the_updates_up_to_ten_thousand():
    assert ema_decay(1) == pytest.approx(2 / 11)
    for u in (9, 230, 690, 5_000):
        assert 1 / (1 - ema_decay(u)) == pytest.approx((10 + u) / 9)  # the span the average covers, in updates
    assert ema_decay(89_990) == pytest.approx(0.9999) and ema_decay(10**7) == 0.9999
    assert all(ema_decay(u) < ema_decay(u + 1) for u in range(1, 2000))


def test_ema_update_applies_the_decay_to_weights_and_batchnorm_statistics():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1, bias=False), torch.nn.BatchNorm2d(2))
    ema = ModelEMA(net)
    start = {k: v.clone() for k, v in ema.ema.state_dict().items()}
    with torch.no_grad():
        for v in net.state_dict().values():
            if v.is_floating_point():
                v.add_(1.0)  # in place, as the optimizer updates the model
    ema.update(net)
    ema.update(net)
    keep = ema_decay(1) * ema_decay(2)  # the share of the start the EMA still holds after two updates
    for k, v in ema.ema.state_dict().items():
        if v.is_floating_point():
            assert torch.allclose(v, start[k] + (1 - keep)), k
    assert ema.updates == 2 and not any(p.requires_grad for p in ema.ema.parameters())
