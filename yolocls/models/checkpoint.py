"""Safe `.pt` checkpoints: only tensors, numbers, strings, lists and dicts (read back by `load.load_checkpoint`).

A checkpoint dict holds: `model` (state dict, fp32), `yaml` (the model config dict), `names` ({index: name}),
`imgsz`, `train_args`, `epoch`, `best_fitness`, `date`, `version`, and while training `optimizer`,
`scheduler`, `ema` (state dict), `updates`, `rng`. Optional `provenance` records where it came from.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from .._io import write_bytes
from .._version import __version__
from .classify import ClassificationModel

FORMAT_TAG = "yolocls-checkpoint-v1"


def save_checkpoint(ckpt: dict[str, Any], path: str | Path, *more: str | Path) -> Path:
    """Write `ckpt` atomically to `path`, then to each of `more` in order; returns `path`.

    Each file appears whole or not at all (`yolocls._io`: a temp file beside it, fsync, then a rename).
    The checkpoint is serialised once; `more` files get a hard link to the first file's data where the file
    system allows (a later save renames a new file over a name, so linked names never change together), else
    a copy of the bytes.
    """
    ckpt = {"format": FORMAT_TAG, "version": __version__,
            "date": datetime.now(UTC).isoformat(timespec="seconds"), **ckpt}
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    first = Path(path)
    for target in (first, *map(Path, more)):
        target.parent.mkdir(parents=True, exist_ok=True)
        if target != first and _link_atomic(first, target):
            continue
        write_bytes(target, buf.getbuffer(), sync=True)
    return first


def _link_atomic(src: Path, target: Path) -> bool:
    """Point `target` at `src`'s data with a hard link renamed into place; False where links do not work."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.link")
    try:
        os.link(src, tmp)
        os.replace(tmp, target)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


def model_from_checkpoint(ckpt: dict[str, Any], use_ema: bool = True) -> ClassificationModel:
    """Rebuild the model of `ckpt` with its weights (EMA weights when present), in fp32 eval mode."""
    model = ClassificationModel(ckpt["yaml"])
    state = ckpt.get("ema") if use_ema and ckpt.get("ema") else ckpt["model"]
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    model.names = {int(k): str(v) for k, v in (ckpt.get("names") or model.names).items()}
    model.args = dict(ckpt.get("train_args") or {})
    model.imgsz = int(ckpt.get("imgsz") or model.args.get("imgsz") or 224)
    return model.eval()


def checkpoint_from_model(model: ClassificationModel, **extra: Any) -> dict[str, Any]:
    """The plain-data checkpoint dict of `model` (weights in fp32), plus `extra` keys."""
    return {
        "model": {k: (v.detach().float() if v.is_floating_point() else v).cpu().clone(
                  memory_format=torch.contiguous_format) for k, v in model.state_dict().items()},
        "yaml": model.yaml,
        "names": dict(model.names),
        "imgsz": int(getattr(model, "imgsz", 224)),
        "train_args": dict(getattr(model, "args", {}) or {}),
        **extra,
    }


def transfer_weights(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> tuple[int, int]:
    """Copy every tensor of `state` whose name and shape match into `model`. Returns (transferred, total)."""
    own = model.state_dict()
    matched = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(matched, strict=False)
    return len(matched), len(own)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
