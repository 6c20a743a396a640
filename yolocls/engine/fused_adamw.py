"""AdamW on PyTorch's fused kernel, without torch.optim's wrappers.

Every torch.optim optimizer imports torch._dynamo the first time it is built or stepped (its methods are wrapped
so that torch.compile leaves them alone): ~2 s of CPU here, a tenth of the README's 10-epoch digits run.
Training here never compiles, so for AdamW on CPU (what `optimizer=auto` picks for short runs) the trainer calls
the kernel that `torch.optim.AdamW(fused=True)` runs, `torch._fused_adamw_`, with the same per-parameter state
and the same state_dict layout: the updates are the same bit for bit (tests/engine/test_fused_adamw.py) and a
checkpoint of either resumes with the other. (`optim.EpochLR` replaces `LambdaLR`, which accepts torch.optim
optimizers only.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


class FusedAdamW:
    """torch.optim.AdamW(fused=True) for parameters of one device and dtype (amsgrad, maximize, capturable and
    differentiable are not supported: the trainer never asks for them)."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        self.defaults: dict[str, Any] = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": False,
            "maximize": False, "foreach": None, "capturable": False, "differentiable": False, "fused": True,
            "decoupled_weight_decay": True}
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[torch.nn.Parameter, dict[str, torch.Tensor]] = {}
        self.add_param_group({"params": params})

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = {**self.defaults, **group, "params": list(group["params"])}
        params = [p for g in self.param_groups for p in g["params"]] + group["params"]
        kinds = {(p.device, p.dtype) for p in params}
        if len(kinds) > 1 or any(not dt.is_floating_point for _, dt in kinds):
            raise ValueError(f"FusedAdamW takes floating-point parameters of one device and dtype, got {kinds}")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def _state(self, p: torch.nn.Parameter) -> dict[str, torch.Tensor]:
        s = self.state.get(p)
        if s is None:  # as torch.optim.Adam's _init_group builds it for fused=True
            s = self.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                                 "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                                 "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
        return s

    @torch.no_grad()
    def step(self) -> None:
        for g in self.param_groups:
            params = [p for p in g["params"] if p.grad is not None]
            if not params:
                continue
            states = [self._state(p) for p in params]
            steps = [s["step"] for s in states]
            torch._foreach_add_(steps, 1)
            beta1, beta2 = g["betas"]
            torch._fused_adamw_(params, [p.grad for p in params], [s["exp_avg"] for s in states],
                                [s["exp_avg_sq"] for s in states], [], steps, amsgrad=False, lr=float(g["lr"]),
                                beta1=float(beta1), beta2=float(beta2), weight_decay=float(g["weight_decay"]),
                                eps=float(g["eps"]), maximize=False, grad_scale=None, found_inf=None)

    def state_dict(self) -> dict[str, Any]:
        """torch.optim's layout: state keyed by the parameter's index across groups, groups without tensors."""
        index = {p: i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        groups, start = [], 0
        for g in self.param_groups:
            groups.append({**{k: v for k, v in g.items() if k != "params"},
                           "params": list(range(start, start + len(g["params"])))})
            start += len(g["params"])
        return {"state": {index[p]: dict(s) for p, s in self.state.items()}, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if [len(g["params"]) for g in groups] != [len(g["params"]) for g in self.param_groups]:
            raise ValueError("the optimizer state has another number of parameter groups or parameters than "
                             "the model; resume with the model it was saved with")
        params = [p for g in self.param_groups for p in g["params"]]
        for g, saved in zip(self.param_groups, groups, strict=True):
            g.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for i, s in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {"step": s["step"].detach().to(device=p.device, dtype=torch.float32).clone(),
                             "exp_avg": s["exp_avg"].detach().to(p).clone(memory_format=torch.preserve_format),
                             "exp_avg_sq": s["exp_avg_sq"].detach().to(p).clone(
                                 memory_format=torch.preserve_format)}
