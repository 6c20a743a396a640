"""Exponential moving average of a model's weights (and BatchNorm statistics), which validation and the saved
checkpoints use."""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import torch
from torch import nn


def de_parallel(model: nn.Module) -> nn.Module:
    """The bare model inside a DistributedDataParallel/DataParallel wrapper."""
    return model.module if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)) else model


def ema_decay(updates: int, decay: float = 0.9999) -> float:
    """The EMA's decay at update `updates` (from 1): min(decay, (1 + u) / (10 + u)), TensorFlow's
    ExponentialMovingAverage(num_updates) rule. The average then spans 1 / (1 - d) = (10 + u) / 9 updates, about
    the last ninth of the run so far, up to 1 / (1 - decay) = 10,000 updates.

    Ultralytics' decay * (1 - exp(-u / 2000)) spans under 3 updates until u = 2,000 and 150 at u = 10,000, so
    the EMA of a run of a few thousand updates (most runs on a user's folder) is the last model; spanning a
    fixed fraction of the run averages out the last epochs' noise at any length (measured in docs, training
    recipe)."""
    return min(decay, (1 + updates) / (10 + updates))


class ModelEMA:
    """ema = d * ema + (1 - d) * model after every optimizer step, with d = `ema_decay(updates)`: the average
    follows the model closely early on and spans more updates as training goes."""

    def __init__(self, model: nn.Module, decay: float = 0.9999, updates: int = 0):
        self.ema = deepcopy(de_parallel(model)).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.updates = decay, int(updates)

    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = ema_decay(self.updates, self.decay)
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
