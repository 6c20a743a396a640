"""`ClassificationModel`: a YOLOv8-, YOLO11- or YOLO26-cls network built from its config dict."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from .blocks import Conv
from .config import load_model_cfg
from .parse import make_divisible, parse_layers


def check_imgsz(imgsz: int, stride: int = 32) -> int:
    """Round imgsz up to a multiple of `stride`, warning when it changes."""
    imgsz = int(imgsz)
    if imgsz < 1:
        raise ConfigError(f"imgsz={imgsz} must be a positive integer (a multiple of {stride}, e.g. 224)")
    new = make_divisible(imgsz, stride)
    if new != imgsz:
        warnings.warn(f"imgsz={imgsz} is not a multiple of stride {stride}; using imgsz={new}", stacklevel=2)
    return new


class ClassificationModel(nn.Module):
    """A YOLO classification network (YOLOv8-, YOLO11- or YOLO26-cls, or any YAML of their blocks).

    Args:
        cfg: built-in name (`yolov8n-cls.yaml`), YAML path, or config dict.
        ch: input channels (overrides the YAML's `ch`).
        nc: number of classes (overrides the YAML's `nc`).
    """

    stride = 32

    def __init__(self, cfg: str | Path | dict[str, Any] = "yolov8n-cls.yaml", ch: int | None = None,
                 nc: int | None = None):
        super().__init__()
        self.yaml = load_model_cfg(cfg)
        if ch is not None:
            self.yaml["ch"] = int(ch)
        if nc is not None:
            self.yaml["nc"] = int(nc)
        self.yaml.setdefault("ch", 3)
        self.model = parse_layers(self.yaml, self.yaml["ch"])
        self.names: dict[int, str] = {i: str(i) for i in range(self.yaml["nc"])}
        self._init_bn()

    def _init_bn(self) -> None:
        # BatchNorm eps/momentum come from the config (PyTorch's defaults unless an imported model says otherwise).
        eps, momentum = float(self.yaml.get("bn_eps", 1e-5)), float(self.yaml.get("bn_momentum", 0.1))
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eps, m.momentum = eps, momentum

    @property
    def nc(self) -> int:
        return int(self.yaml["nc"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def fuse(self) -> ClassificationModel:
        """Fold every BatchNorm into its convolution (inference only; outputs unchanged within 1e-5)."""
        for m in self.modules():
            if isinstance(m, Conv) and hasattr(m, "bn"):
                m.conv = fuse_conv_and_bn(m.conv, m.bn)
                delattr(m, "bn")
                m.forward = m.forward_fused  # type: ignore[method-assign]
        return self

    @property
    def is_fused(self) -> bool:
        return not any(isinstance(m, nn.BatchNorm2d) for m in self.modules())


def randomize_batchnorm(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm seeded random statistics and affine parameters, in place; returns `model`.

    For untrained models in benchmarks and parity checks: with the default statistics an untrained network's
    logits are all ~0, so every probability is 1/nc and a broken conversion could not show.
    """
    g = torch.Generator().manual_seed(seed)

    def uniform(t: torch.Tensor, lo: float, hi: float) -> None:
        t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                uniform(m.running_mean, -0.2, 0.2)
                uniform(m.running_var, 0.5, 2.0)
                uniform(m.weight, 0.5, 1.5)
                uniform(m.bias, -0.2, 0.2)
    return model


def fuse_conv_and_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """Return a Conv2d with bias that computes bn(conv(x))."""
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      conv.dilation, conv.groups, bias=True).requires_grad_(False).to(conv.weight.device)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_((b - bn.running_mean) * scale + bn.bias)
    return fused
