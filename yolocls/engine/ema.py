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
        ema, cur = self._pairs(de_parallel(model))
        with torch.no_grad():
            if hasattr(torch, "_foreach_lerp_"):  # one fused call instead of ~300 small ones
                torch._foreach_lerp_(ema, cur, 1.0 - d)
            else:
                for e, c in zip(ema, cur, strict=True):
                    e.lerp_(c, 1.0 - d)

    def _pairs(self, model: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The EMA's floating-point tensors and the model's matching ones. Built once and reused while the model
        keeps its tensors (the optimizer updates them in place): two state_dict() walks a step cost more here
        than the averaging itself. Rebuilt if the model or its storage changes (another model, a device move)."""
        key = (id(model), next(model.parameters()).data_ptr())
        if getattr(self, "_key", None) != key:
            msd = model.state_dict()
            pairs = [(v, msd[k].detach()) for k, v in self.ema.state_dict().items() if v.dtype.is_floating_point]
            self._cache = ([p[0] for p in pairs], [p[1] for p in pairs])
            self._key = key
        return self._cache

    def state_dict(self) -> dict[str, Any]:
        return {k: (v.detach().float() if v.is_floating_point() else v).cpu().contiguous().clone()
                for k, v in self.ema.state_dict().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor], updates: int) -> None:
        self.ema.load_state_dict(state)  # copies into the EMA's own tensors: the cached pairs stay valid
        self.updates = int(updates)
