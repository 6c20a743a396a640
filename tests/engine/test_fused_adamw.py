"""FusedAdamW and EpochLR against torch.optim.AdamW(fused=True) and LambdaLR: same updates bit for bit, state
dicts interchangeable, and training never imports torch._dynamo."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from yolocls.engine.fused_adamw import FusedAdamW
from yolocls.engine.optim import EpochLR, lr_factor
from yolocls.models import ClassificationModel


def _model(seed: int = 0) -> ClassificationModel:
    torch.manual_seed(seed)
    return ClassificationModel("yolov8n-cls.yaml", nc=5).to(memory_format=torch.channels_last)


def _groups(model):
    from yolocls.engine.optim import param_groups

    decay, no_decay, bias = param_groups(model)
    return bias, [{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}]


def _build(cls, model, **kw):
    bias, more = _groups(model)
    kw = {"momentum": 0.9, "nesterov": True} if cls is torch.optim.SGD else {"betas": (0.9, 0.999), **kw}
    opt = cls(bias, lr=1e-3, weight_decay=0.0, **kw)
    for g in more:
        opt.add_param_group(g)
    return opt


def _train(model, opt, sched, steps: int, seed: int = 1) -> list[float]:
    g = torch.Generator().manual_seed(seed)
    losses = []
    for i in range(steps):
        x = torch.rand(8, 3, 32, 32, generator=g).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 5, (8,), generator=g)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        if i % 2 == 1:
            sched.step()
        losses.append(loss.item())
    return losses


def test_updates_match_torch_fused_adamw_bit_for_bit():
    a, b = _model(), _model()
    opt_a = _build(FusedAdamW, a)
    opt_b = _build(torch.optim.AdamW, b, fused=True)
    lf = lr_factor(4, 0.01, False)
    losses_a = _train(a, opt_a, EpochLR(opt_a, lf), 6)
    losses_b = _train(b, opt_b, torch.optim.lr_scheduler.LambdaLR(opt_b, lr_lambda=lf), 6)
    assert losses_a == losses_b
    for (n, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb), n
    assert [g["lr"] for g in opt_a.param_groups] == [g["lr"] for g in opt_b.param_groups]
    sa, sb = opt_a.state_dict(), opt_b.state_dict()
    assert sa["state"].keys() == sb["state"].keys()
    for i in sa["state"]:
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(sa["state"][i][k], sb["state"][i][k]), (i, k)
    assert [g["params"] for g in sa["param_groups"]] == [g["params"] for g in sb["param_groups"]]


def test_state_dicts_are_interchangeable_with_torch_adamw():
    """A run resumed from torch.optim.AdamW's state (older checkpoints) continues exactly as torch would."""
    a, b = _model(), _model()
    opt_b = _build(torch.optim.AdamW, b, fused=True)
    sched_b = torch.optim.lr_scheduler.LambdaLR(opt_b, lr_lambda=lr_factor(4, 0.01, False))
    _train(b, opt_b, sched_b, 3)
    a.load_state_dict(b.state_dict())
    opt_a = _build(FusedAdamW, a)
    sched_a = EpochLR(opt_a, lr_factor(4, 0.01, False))
    opt_a.load_state_dict(opt_b.state_dict())
    sched_a.load_state_dict(sched_b.state_dict())
    assert sched_a.last_epoch == sched_b.last_epoch and sched_a.base_lrs == sched_b.base_lrs
    assert _train(a, opt_a, sched_a, 3, seed=2) == _train(b, opt_b, sched_b, 3, seed=2)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    # and the other way round: torch.optim takes FusedAdamW's state
    opt_c = _build(torch.optim.AdamW, _model(), fused=True)
    opt_c.load_state_dict(opt_a.state_dict())
    assert torch.equal(opt_c.state_dict()["state"][5]["exp_avg"], opt_a.state_dict()["state"][5]["exp_avg"])


def test_mismatched_state_and_mixed_parameters_are_clear_errors():
    opt = _build(FusedAdamW, _model())
    state = opt.state_dict()
    state["param_groups"] = state["param_groups"][:2]
    with pytest.raises(ValueError, match="another number of parameter groups"):
        opt.load_state_dict(state)
    with pytest.raises(ValueError, match="one device and dtype"):
        FusedAdamW([torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))])


def test_training_on_cpu_never_imports_torch_dynamo(tiny_digits, tmp_path):
    """The point of FusedAdamW: a short AdamW run does not pay torch._dynamo's ~2 s import."""
    code = (f"import sys; from yolocls import YOLO; "
            f"YOLO('yolov8n-cls.yaml').train(data=r'{tiny_digits}', epochs=1, imgsz=32, batch=16, "
            f"project=r'{tmp_path}', plots=False, verbose=False); "
            f"print('DYNAMO', 'torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "DYNAMO False" in out.stdout, out.stdout[-500:]


@pytest.mark.parametrize("cos", [False, True])
def test_epoch_lr_sets_what_lambda_lr_sets_for_torch_optimizers(cos):
    lf = lr_factor(5, 0.01, cos)
    a = _build(torch.optim.SGD, _model())
    b = _build(torch.optim.SGD, _model())
    sa, sb = EpochLR(a, lf), torch.optim.lr_scheduler.LambdaLR(b, lr_lambda=lf)
    for _ in range(5):
        assert [g["lr"] for g in a.param_groups] == [g["lr"] for g in b.param_groups]
        assert [g["initial_lr"] for g in a.param_groups] == [g["initial_lr"] for g in b.param_groups]
        a.step()
        b.step()
        sa.step()
        sb.step()
