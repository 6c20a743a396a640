"""The training loader: torch Dataset/DataLoader pieces around TrainImages + TrainTransform.

Workers return uint8 NCHW batches (4x less to pass between processes than float32); the trainer converts to
float on its side. Each sample's augmentation is seeded by (seed, epoch, sample index), and the sampler splits a
seeded per-epoch permutation into disjoint, equal shards per rank, so a run is reproducible whatever the number
of workers, and a resumed run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .._cpu import usable_cores as cpu_count  # CPUs this process may use (affinity-aware)
from ..errors import DatasetError
from .datasets import TrainImages
from .transforms import TrainTransform, sample_rng


def default_workers(world_size: int = 1) -> int:
    """Loader worker processes per training process, chosen for this machine: none with two CPUs or fewer per
    process, else one per four CPUs, at most eight. The trainer gives PyTorch the remaining CPUs.

    With two CPUs a worker process would take one of the model's two threads' cores: on the 2-core reference
    machine, digits at imgsz 32 trained at ~700 images/s with augmentation inline and two threads, against
    ~600 with one thread and one worker (augmentation costs ~0.3 ms an image there, a quarter of the model's
    forward and backward)."""
    per_proc = max(1, cpu_count() // max(1, world_size))
    return 0 if per_proc <= 2 else int(min(8, max(1, per_proc // 4)))


class EpochSampler(Sampler):
    """Yields (epoch, index) for this rank: a permutation seeded by seed + epoch, trimmed to a multiple of
    world_size and dealt round-robin, so ranks get disjoint shards of equal length."""

    def __init__(self, n: int, seed: int = 0, shuffle: bool = True, rank: int = 0, world_size: int = 1):
        self.n, self.seed, self.shuffle, self.rank, self.world = n, int(seed), shuffle, rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def indices(self) -> list[int]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.n, generator=g).tolist()
        else:
            order = list(range(self.n))
        order = order[: len(self) * self.world]
        return order[self.rank::self.world]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter([(self.epoch, i) for i in self.indices()])

    def __len__(self) -> int:
        return self.n // self.world


class AugmentedDataset(Dataset):
    """(epoch, index) -> (augmented uint8 HWC array, label, index)."""

    def __init__(self, images: TrainImages, transform: TrainTransform, seed: int = 0):
        self.images, self.transform, self.seed = images, transform, int(seed)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, key: tuple[int, int]) -> tuple[np.ndarray, int, int]:
        epoch, i = key
        return self.transform(self.images.load(i), sample_rng(self.seed, epoch, i)), int(self.images.labels[i]), i


def collate_uint8(batch: list[tuple[np.ndarray, int, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack into (uint8 NCHW images, int64 labels, int64 sample indices). The images keep the HWC samples'
    memory order: an NCHW tensor in channels-last layout, with no transposing copy."""
    imgs = torch.from_numpy(np.stack([b[0] for b in batch])).permute(0, 3, 1, 2)
    return imgs, torch.tensor([b[1] for b in batch]), torch.tensor([b[2] for b in batch])


def build_train_loader(images: TrainImages, transform: TrainTransform, batch: int, workers: int, seed: int = 0,
                       rank: int = 0, world_size: int = 1, pin_memory: bool = False) -> DataLoader:
    """A DataLoader over (epoch, index) keys; call `loader.sampler.set_epoch(e)` before each epoch.

    An epoch whose last batch would hold a single image drops it: BatchNorm cannot normalise one sample in
    training mode (PyTorch raises), and the image is seen in other epochs (the order is reshuffled each epoch).
    """
    sampler = EpochSampler(len(images), seed=seed, shuffle=True, rank=rank, world_size=world_size)
    if len(sampler) < 2:
        raise DatasetError(f"training needs at least 2 images per process; {images.folder} has {len(images)}"
                           + (f" for {world_size} processes" if world_size > 1 else ""))
    kw: dict[str, Any] = {}
    if workers > 0:
        kw = {"persistent_workers": True, "prefetch_factor": 4}
    return DataLoader(AugmentedDataset(images, transform, seed), batch_size=batch, sampler=sampler,
                      num_workers=workers, collate_fn=collate_uint8, pin_memory=pin_memory,
                      drop_last=len(sampler) % batch == 1, **kw)


def to_float(imgs: torch.Tensor, device: torch.device | str,
             memory_format: torch.memory_format = torch.contiguous_format) -> torch.Tensor:
    """uint8 NCHW batch -> float32 in [0, 1] on `device` in `memory_format` (the scaling of evaluation
    preprocessing)."""
    x = imgs.to(device, non_blocking=True)
    return x.to(dtype=torch.float32, memory_format=memory_format).mul_(1 / 255)
