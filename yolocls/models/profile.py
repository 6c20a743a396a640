"""Parameter counts, true FLOPs and the model summary.

FLOPs are 2 x multiply-adds of every convolution and linear layer and of the two matrix products of each
attention block (YOLO11/26-cls), at the imgsz asked for. The published
YOLOv8-cls table counts the final Linear at every position of the last feature map, so its figures are higher
by (imgsz/32)^2 - 1 Linear evaluations (about +1.02 GFLOPs at 640 with nc=1000); ours are the real count.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from .attention import Attention


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_flops(model: nn.Module, imgsz: int = 224, ch: int | None = None) -> int:
    """FLOPs (2 x MACs of Conv2d and Linear layers and attention's matrix products) of one forward pass at batch 1.

    Runs on PyTorch's meta device, so it is instant even for yolov8x-cls at 640.
    """
    ch = ch or getattr(model, "yaml", {}).get("ch", 3)
    m = copy.deepcopy(model).to("meta").eval()
    total = 0

    def hook(mod: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(mod, nn.Conv2d):
            kh, kw = mod.kernel_size
            total += 2 * out.numel() * (mod.in_channels // mod.groups) * kh * kw
        elif isinstance(mod, Attention):  # q^T k: (hw x key_dim)(key_dim x hw); v attn^T: (head_dim x hw)(hw x hw)
            b, _, h, w = inp[0].shape
            total += 2 * b * mod.num_heads * (h * w) ** 2 * (mod.key_dim + mod.head_dim)
        else:  # Linear
            total += 2 * out.numel() * mod.in_features

    handles = [x.register_forward_hook(hook) for x in m.modules() if isinstance(x, (nn.Conv2d, nn.Linear, Attention))]
    try:
        with torch.no_grad():
            m(torch.empty(1, ch, imgsz, imgsz, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return total


@dataclass(frozen=True)
class ModelInfo:
    name: str
    layers: int
    params: int
    gradients: int
    gflops: float
    imgsz: int

    def line(self) -> str:
        return (f"{self.name} summary: {self.layers} layers, {self.params:,} parameters, {self.gradients:,} gradients, "
                f"{self.gflops:.3f} GFLOPs at imgsz={self.imgsz}")


def model_info(model: nn.Module, imgsz: int = 224, verbose: bool = False) -> tuple[ModelInfo, str]:
    """Return the summary numbers and the printable text (with a per-layer table when verbose)."""
    yaml = getattr(model, "yaml", {})
    name = str(yaml.get("yaml_file", type(model).__name__)).removesuffix(".yaml")
    info = ModelInfo(
        name=name,
        layers=len(list(model.modules())),
        params=count_params(model),
        gradients=count_params(model, trainable_only=True),
        gflops=count_flops(model, imgsz) / 1e9,
        imgsz=imgsz,
    )
    text = info.line()
    if verbose:
        rows = [f"{'idx':>4} {'block':<10} {'params':>12}  args"]
        for layer in getattr(model, "model", []):
            rows.append(f"{getattr(layer, 'i', ''):>4} {getattr(layer, 'type', type(layer).__name__):<10} "
                        f"{count_params(layer):>12,}  {_layer_args(layer)}")
        text = "\n".join(rows) + "\n" + text
    return info, text


def _layer_args(layer: nn.Module) -> str:
    convs = [m for m in layer.modules() if isinstance(m, nn.Conv2d)]
    lin = [m for m in layer.modules() if isinstance(m, nn.Linear)]
    if not convs:
        return ""
    c1, c2 = convs[0].in_channels, (lin[-1].out_features if lin else convs[-1].out_channels)
    return f"{c1} -> {c2}, stride {convs[0].stride[0]}"
