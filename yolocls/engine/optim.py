"""Optimizer, learning-rate schedule and warm-up, following the YOLO training recipe.

Parameters fall in three groups: biases (no weight decay), normalisation weights (no decay) and all other weights
(decay). `optimizer=auto` picks SGD(lr=0.01, momentum=0.9) for runs of more than 10,000 iterations and AdamW for
shorter ones: lr = 0.002 * 5 / (4 + nc) (Ultralytics' fit) when the run starts from transferred weights, and
lr = 0.002 when it starts from scratch, which needs larger steps than fine-tuning (measured: docs, training
recipe). It says which and why. The schedule multiplies each group's initial lr by a factor falling linearly (or
by half a cosine, `cos_lr`) from 1 to `lrf` over the epochs; during warm-up the lr rises from 0 (biases: from
warmup_bias_lr) and momentum from warmup_momentum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from .fused_adamw import FusedAdamW

OPTIMIZERS = ("SGD", "Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp")
AUTO_SGD_ITERATIONS = 10_000
SCRATCH_ADAMW_LR = 0.002
DEFAULT_WARMUP_EPOCHS, WARMUP_FRACTION = 3.0, 0.1


@dataclass(frozen=True)
class OptimizerChoice:
    name: str
    lr: float
    momentum: float
    reason: str


def choose_optimizer(name: str, lr0: float, momentum: float, nc: int, iterations: int,
                     from_scratch: bool = False) -> OptimizerChoice:
    """Resolve `optimizer=auto` (and validate explicit names). `from_scratch`: no weights were transferred."""
    if str(name).lower() == "auto":
        if iterations > AUTO_SGD_ITERATIONS:
            return OptimizerChoice("SGD", 0.01, 0.9, f"{iterations:,} iterations > {AUTO_SGD_ITERATIONS:,}: a long "
                                                     f"run, where SGD generalises best")
        why = f"{iterations:,} iterations <= {AUTO_SGD_ITERATIONS:,}: a short run, where AdamW converges fastest"
        if from_scratch:
            return OptimizerChoice("AdamW", SCRATCH_ADAMW_LR, 0.9, f"{why}; lr0 = {SCRATCH_ADAMW_LR} for weights "
                                                                   f"trained from scratch")
        lr = round(0.002 * 5 / (4 + nc), 6)
        return OptimizerChoice("AdamW", lr, 0.9, f"{why}; lr0 = 0.002 * 5 / (4 + nc={nc}) for transferred weights")
    canon = {o.lower(): o for o in OPTIMIZERS}.get(str(name).lower())
    if canon is None:
        raise ConfigError(f"optimizer='{name}' is not supported; use auto or one of {', '.join(OPTIMIZERS)}")
    return OptimizerChoice(canon, float(lr0), float(momentum), "as requested")


def param_groups(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter], list[nn.Parameter]]:
    """(weights with decay, normalisation weights, biases)."""
    norms = tuple(v for k, v in nn.__dict__.items() if "Norm" in k and isinstance(v, type))
    decay, no_decay, bias = [], [], []
    for module in model.modules():
        for pname, p in module.named_parameters(recurse=False):
            if "bias" in pname:
                bias.append(p)
            elif isinstance(module, norms):
                no_decay.append(p)
            else:
                decay.append(p)
    return decay, no_decay, bias


def build_optimizer(model: nn.Module, choice: OptimizerChoice, weight_decay: float) -> Any:
    """Group 0: biases, group 1: weights (decay), group 2: normalisation weights (the warm-up relies on the order).

    AdamW on CPU is `FusedAdamW` (torch's fused kernel without torch.optim's ~2 s torch._dynamo import, same
    updates); everything else is the torch.optim class."""
    decay, no_decay, bias = param_groups(model)
    name, lr, m = choice.name, choice.lr, choice.momentum
    fused = {"fused": True} if all(p.device.type in ("cpu", "cuda") for p in model.parameters()) else {}
    if name == "AdamW" and all(p.device.type == "cpu" for p in model.parameters()):
        opt = FusedAdamW(bias, lr=lr, betas=(m, 0.999), weight_decay=0.0)
    elif name in ("Adam", "Adamax", "AdamW", "NAdam", "RAdam"):
        cls = getattr(torch.optim, name)
        kw = fused if name in ("Adam", "AdamW") else {}
        opt = cls(bias, lr=lr, betas=(m, 0.999), weight_decay=0.0, **kw)
    elif name == "RMSProp":
        opt = torch.optim.RMSprop(bias, lr=lr, momentum=m)
    else:
        opt = torch.optim.SGD(bias, lr=lr, momentum=m, nesterov=True)
    opt.add_param_group({"params": decay, "weight_decay": weight_decay})
    opt.add_param_group({"params": no_decay, "weight_decay": 0.0})
    return opt


def lr_factor(epochs: int, lrf: float, cos: bool) -> Callable[[int], float]:
    """Epoch -> multiplier of the initial lr: 1 at epoch 0, lrf at `epochs`."""
    if cos:
        return lambda e: ((1 - math.cos(e * math.pi / epochs)) / 2) * (lrf - 1) + 1
    return lambda e: max(1 - e / epochs, 0) * (1.0 - lrf) + lrf


def default_warmup_epochs(epochs: int) -> float:
    """`warmup_epochs` when none is given: 3 (Ultralytics' default), but at most a tenth of the run.

    Three epochs are 3% of the 100-epoch runs that default was made for, and 30% of a 10-epoch run, whose first
    three epochs then barely move the loss off ln(nc); one epoch in ten left more of the run to learning (measured
    in docs, training recipe)."""
    return min(DEFAULT_WARMUP_EPOCHS, WARMUP_FRACTION * int(epochs))


def warmup_iterations(warmup_epochs: float, nb: int, epochs: int | None = None) -> int:
    """Warm-up length in iterations: warmup_epochs of batches (0 turns warm-up off), leaving the last epoch out
    of it as Ultralytics does.

    Current Ultralytics (8.4, read from the lr log of a checkpoint it wrote) warms up for exactly this long;
    older releases imposed a 100-iteration minimum, which swallows most of a short run.
    """
    if epochs is not None:
        warmup_epochs = min(warmup_epochs, max(int(epochs) - 1, 0))
    return max(round(warmup_epochs * nb), 1) if warmup_epochs > 0 else -1


def apply_warmup(opt: Any, ni: int, nw: int, factor: float, warmup_bias_lr: float,
                 warmup_momentum: float, momentum: float) -> None:
    """Set every group's lr (and momentum) for iteration `ni` of an `nw`-iteration warm-up."""
    xi = [0, nw]
    for j, g in enumerate(opt.param_groups):
        g["lr"] = float(np.interp(ni, xi, [warmup_bias_lr if j == 0 else 0.0, g["initial_lr"] * factor]))
        if "momentum" in g:
            g["momentum"] = float(np.interp(ni, xi, [warmup_momentum, momentum]))


class EpochLR:
    """Every group's lr = its initial lr x lr_lambda(epoch), set at construction (epoch 0) and on each `step()`:
    torch's LambdaLR with one shared lambda, for torch.optim optimizers and FusedAdamW alike."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]):
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        self.last_epoch = 0
        self._apply()

    def _apply(self) -> None:
        for g, base, f in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas, strict=True):
            g["lr"] = base * f(self.last_epoch)

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        return {"base_lrs": list(self.base_lrs), "last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Takes this class's state or LambdaLR's (checkpoints of earlier yolocls versions)."""
        self.base_lrs = list(state["base_lrs"])
        self.last_epoch = int(state["last_epoch"])
