"""Exponential moving average of a model's weights (and BatchNorm statistics), as YOLO training keeps it."""

from __future__ import annotations

import math
from copy import deepcopy
from typing import Any

import torch
from torch import nn


def de_parallel(model: nn.Module) -> nn.Module:
    """The bare model inside a DistributedDataParallel/DataParallel wrapper."""
    return model.module if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)) else model


class ModelEMA:
    """ema = d * ema + (1 - d) * model after every optimizer step, with d = decay * (1 - exp(-updates / tau)):
    the average follows the model closely early on and smooths more as training goes."""

    def __init__(self, model: nn.Module, decay: float = 0.9999, tau: float = 2000.0, updates: int = 0):
        self.ema = deepcopy(de_parallel(model)).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, int(updates)

    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = de_parallel(model).state_dict()
        with torch.no_grad():
            for k, v in self.ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v.mul_(d).add_(msd[k].detach(), alpha=1 - d)

    def state_dict(self) -> dict[str, Any]:
        return {k: v.detach().float().cpu().clone() if v.is_floating_point() else v.cpu().clone()
                for k, v in self.ema.state_dict().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor], updates: int) -> None:
        self.ema.load_state_dict(state)
        self.updates = int(updates)
