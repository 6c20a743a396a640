"""Multi-process training through torch.distributed, launched with torchrun (`torch.distributed.run`).

`device=0,1` runs one process per GPU with NCCL; `nproc=N` on CPU runs N processes with gloo. `train()` in the
launching process starts `python -m torch.distributed.run --standalone --nproc_per_node N -m
yolocls.engine.ddp_worker ARGS.json`; each worker rebuilds the YOLO facade and calls `train()` again, which sees
RANK/WORLD_SIZE in its environment. Running `torchrun --nproc_per_node N -m yolocls train ...` by hand works too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from ..errors import ConfigError

LAUNCHED_ENV = "YOLOCLS_DDP_LAUNCHED"  # set for workers started by launch(): the launcher validates and reports


def env_rank() -> tuple[int, int, int]:
    """(rank, local_rank, world_size) from the torchrun environment; (0, 0, 1) outside it."""
    return (int(os.environ.get("RANK", 0)), int(os.environ.get("LOCAL_RANK", 0)),
            int(os.environ.get("WORLD_SIZE", 1)))


def parse_devices(device: Any) -> list[str]:
    """'cpu' -> ['cpu']; 0 / '0' / 'cuda:0' -> ['0']; '0,1' or [0, 1] -> ['0', '1']; 'mps' -> ['mps']."""
    if isinstance(device, (list, tuple)):
        items = [str(d) for d in device]
    else:
        items = [s.strip() for s in str(device if device is not None else "cpu").split(",") if s.strip()]
    out = []
    for s in items or ["cpu"]:
        s = s.lower().removeprefix("cuda:")
        out.append("0" if s == "cuda" else s)
    return out


def torch_device(dev: str) -> torch.device:
    if dev.isdigit():
        if not torch.cuda.is_available():
            raise ConfigError(f"device={dev} asks for CUDA GPU {dev}, but torch.cuda.is_available() is False on this "
                              f"machine; use device=cpu (and nproc=N for several CPU processes)")
        return torch.device(f"cuda:{dev}")
    return torch.device(dev)


def init_process_group(device: torch.device) -> None:
    """Join the torchrun process group (NCCL on CUDA, gloo on CPU)."""
    if dist.is_available() and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend, timeout=timedelta(hours=3))


def is_dist() -> bool:
    return dist.is_available() and dist.is_initialized()


def broadcast_flag(flag: bool) -> bool:
    """Rank 0's decision (e.g. early stop), shared with every rank."""
    if not is_dist():
        return flag
    t = torch.tensor([int(flag)], dtype=torch.int32)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.broadcast(t, 0)
    return bool(t.item())


def barrier() -> None:
    if is_dist():
        dist.barrier()


def cleanup() -> None:
    if is_dist():
        dist.destroy_process_group()


def launch(model_source: str, kwargs: dict[str, Any], nproc: int) -> None:
    """Run `train()` in `nproc` processes under torchrun and wait for them. Raises on failure."""
    fd, path = tempfile.mkstemp(prefix="yolocls-ddp-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump({"model": model_source, "kwargs": kwargs}, f, default=str)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1",
           f"--nproc_per_node={nproc}", "-m", "yolocls.engine.ddp_worker", path]
    print(f"DDP: launching {nproc} processes: {' '.join(cmd)}")
    env = {**os.environ, LAUNCHED_ENV: "1", "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]),
                                                         os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    try:
        r = subprocess.run(cmd, env=env)
    finally:
        Path(path).unlink(missing_ok=True)
    if r.returncode != 0:
        raise RuntimeError(f"distributed training failed (torchrun exit code {r.returncode}); see the output above")
