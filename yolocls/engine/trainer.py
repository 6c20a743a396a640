"""Training: `train(yolo, **kwargs)` runs the YOLO classification recipe and returns the final val metrics.

Writes `<save_dir>/weights/last.pt` every epoch and `best.pt` on the best top1 (both atomic), `results.csv`
and, with plots, `results.png`, `confusion_matrix.png` and `train_batch0.jpg`. `resume=True` continues at the
next epoch with optimizer, scheduler, EMA and RNG state, ending where an uninterrupted run would. Ctrl-C keeps
`last.pt` (the last completed epoch) and exits cleanly.
"""

from __future__ import annotations

import csv
import math
import os
import random
import time
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from .._cpu import compute_threads, free_cores
from .._io import require_space, write_text
from ..cfg import check_args, mode_defaults
from ..data.datasets import DatasetInfo, EvalImages, TrainImages, dataset_info, parse_cache
from ..data.loader import build_train_loader, cpu_count, default_workers, to_float
from ..data.transforms import TrainTransform
from ..errors import CheckpointError, ConfigError, DiskFullError
from ..models import ClassificationModel, check_imgsz, load_checkpoint, save_checkpoint, transfer_weights
from ..models.checkpoint import checkpoint_from_model
from . import distributed as ddp
from .callbacks import merged, run_callbacks
from .ema import ModelEMA, de_parallel
from .metrics import ClassifyMetrics
from .optim import (
    EpochLR,
    apply_warmup,
    build_optimizer,
    choose_optimizer,
    default_warmup_epochs,
    lr_factor,
    warmup_iterations,
)
from .runs import default_project, run_dir
from .validator import evaluate

NBS = 64  # nominal batch size: gradients accumulate up to it and weight decay scales with it
CSV_KEYS = ("epoch", "train/loss", "metrics/accuracy_top1", "metrics/accuracy_top5", "val/loss", "lr")
RESUME_OVERRIDES = ("device", "workers", "verbose", "plots", "nproc")
FINAL_KEYS = ("yaml", "names", "imgsz", "train_args", "epoch", "best_fitness", "train_metrics")


def final_checkpoint(ckpt: dict[str, Any]) -> dict[str, Any]:
    """What last.pt and best.pt keep once training ends: the EMA weights and the run's description, without the
    optimizer, scheduler and RNG states that only a resume needs."""
    return {"model": ckpt.get("ema") or ckpt["model"], **{k: ckpt.get(k) for k in FINAL_KEYS}}


def train_defaults() -> dict[str, Any]:
    """Every train-mode argument with its default, from cfg/default.yaml."""
    return mode_defaults("train")


def make_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The run's arguments: the defaults, then `kwargs` (each checked against its type, range and choices)."""
    args = train_defaults()
    args.update(check_args("train", kwargs, caller="train()"))
    args["imgsz"] = check_imgsz(224 if args["imgsz"] is None else args["imgsz"])
    args["batch"] = 64 if args["batch"] is None else int(args["batch"])
    if args["warmup_epochs"] is None:
        args["warmup_epochs"] = default_warmup_epochs(args["epochs"])
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in args.items()}


def is_better(top1: float, loss: float, best_top1: float, best_loss: float) -> bool:
    """Whether an epoch's validation beats the best so far: higher top-1, or the same top-1 at a lower val loss.

    Top-1 moves in steps of 1/len(val), so on a small val split ties are common; the lower loss breaks them
    toward the more confident model (Ultralytics ranks by (top-1 + top-5) / 2, which can pick a lower top-1)."""
    return top1 > best_top1 or (top1 == best_top1 and loss < best_loss)


def rng_state() -> dict[str, Any]:
    """Every RNG's state as plain data (lists and tensors), so checkpoints load with weights_only=True."""
    np_state = np.random.get_state()
    state = {"torch": torch.get_rng_state(), "python": [list(x) if isinstance(x, tuple) else x
                                                         for x in random.getstate()],
             "numpy": {"key": np_state[1].tolist(), "pos": int(np_state[2]), "has_gauss": int(np_state[3]),
                       "gauss": float(np_state[4])}}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    v, internal, g = state["python"]
    random.setstate((v, tuple(internal), g))
    n = state["numpy"]
    np.random.set_state(("MT19937", np.array(n["key"], dtype=np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def use_deterministic_algorithms() -> None:
    """torch.use_deterministic_algorithms(True, warn_only=True) without its side trip: the public function also
    sets torch.compile's (inductor's) flag, and importing inductor for it costs ~3 s of a short run. Training
    here does not compile, so the inductor flag is set only when inductor is already loaded.

    Deterministic mode also fills every new tensor with NaN (`fill_uninitialized_memory`), a debugging aid that
    makes reads of uninitialised memory visible; determinism comes from the algorithms. Those ~700 fills a step
    cost ~3 ms of a ~65 ms step at imgsz 32 on CPU, so training turns them off."""
    import sys

    if "torch._inductor.config" in sys.modules or not hasattr(torch._C, "_set_deterministic_algorithms"):
        torch.use_deterministic_algorithms(True, warn_only=True)
    else:
        torch._C._set_deterministic_algorithms(True, warn_only=True)
    if hasattr(torch.utils, "deterministic"):
        torch.utils.deterministic.fill_uninitialized_memory = False


def init_seeds(seed: int, deterministic: bool) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        use_deterministic_algorithms()
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def find_resume_checkpoint(yolo: Any, resume: Any, project: str | None) -> Path:
    """The last.pt to resume: resume=<path>, the model's own checkpoint, or the newest last.pt under project."""
    if isinstance(resume, (str, Path)) and str(resume).lower() not in ("true", "1"):
        return Path(resume)
    if yolo.ckpt_path is not None:
        return Path(yolo.ckpt_path)
    folder = Path(project or default_project())
    runs = sorted(folder.glob("*/weights/last.pt"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise CheckpointError(f"resume=True but no last.pt found under {folder}; pass "
                              f"model=path/to/last.pt resume=True")
    return runs[-1]


class Trainer:
    """One training run (one process of it under torchrun)."""

    def __init__(self, yolo: Any, kwargs: dict[str, Any]):
        self.yolo = yolo
        self.rank, self.local_rank, self.world = ddp.env_rank()
        self.resume_ckpt: dict[str, Any] | None = None
        self.transferred = 0  # weights _build_model copied in (0: training from scratch)
        kwargs = dict(kwargs)
        fixed_dir = kwargs.pop("_save_dir", None)  # chosen by the launching process under DDP
        if kwargs.get("resume"):
            path = find_resume_checkpoint(yolo, kwargs["resume"], kwargs.get("project"))
            ckpt = load_checkpoint(path)
            if not ckpt.get("optimizer"):
                raise CheckpointError(f"'{path}' holds a finished training run (epoch {ckpt.get('epoch', -1) + 1} "
                                      f"of {ckpt.get('train_args', {}).get('epochs')}), so there is nothing to resume;"
                                      f" to train further start a new run from it: model={path} epochs=N")
            known = train_defaults()
            args = {k: v for k, v in ckpt["train_args"].items() if k in known}
            args.update({k: kwargs[k] for k in RESUME_OVERRIDES if k in kwargs}, resume=True)
            self.args = make_args(args)
            self.save_dir = path.parent.parent
            self.resume_ckpt = ckpt
        else:
            self.args = make_args(kwargs)
            self.save_dir = Path(fixed_dir) if fixed_dir else None
        self.explicit = set(kwargs)  # what the user set: a dataset's train_defaults never override these
        self.verbose = bool(self.args.get("verbose", True)) and self.rank == 0
        # What callbacks read (Ultralytics' names): the epoch, its mean loss, metrics and learning rates.
        self.epoch, self.epochs, self.tloss = 0, self.args["epochs"], None
        self.metrics: dict[str, Any] = {}
        self.lr: dict[str, float] = {}
        self.best = self.last = None
        if self.rank == 0:  # the user's callbacks, then the loggers the settings turn on
            from .loggers import logger_callbacks

            self.callbacks = merged(getattr(yolo, "callbacks", None), logger_callbacks())
        else:
            self.callbacks = {}

    def fire(self, event: str) -> None:
        """Run the callbacks of `event` with this trainer (rank 0 only: one process reports)."""
        run_callbacks(self.callbacks, event, self)

    # --- helpers ------------------------------------------------------------------------------------------
    def log(self, msg: str) -> None:
        if self.verbose:
            print(msg, flush=True)

    def _device(self) -> torch.device:
        devs = ddp.parse_devices(self.args["device"])
        dev = devs[self.local_rank % len(devs)] if devs[0].isdigit() else devs[0]
        return ddp.torch_device(dev)

    def _build_model(self, nc: int) -> ClassificationModel:
        a = self.args
        if self.resume_ckpt is not None:
            model = ClassificationModel(self.resume_ckpt["yaml"])
            model.load_state_dict(self.resume_ckpt["model"])
            return model
        src = self.yolo.model
        if src is None:
            raise ConfigError(f"training needs a PyTorch model (YAML or .pt); '{self.yolo.source}' is an exported "
                              f"artifact")
        cfg = deepcopy(src.yaml)
        cfg["nc"], cfg["dropout"] = nc, float(a["dropout"] or 0.0)
        model = ClassificationModel(cfg)  # built after seeding, so seed=N always starts from the same weights
        pre = a["pretrained"]
        if isinstance(pre, str) and pre.lower() not in ("true", "false"):
            from ..models.weights import resolve_weights

            ck = load_checkpoint(resolve_weights(pre))  # an official name is downloaded on first use
            n, total = transfer_weights(model, ck.get("ema") or ck["model"])
            self.transferred = n
            self.log(f"Transferred {n}/{total} items from pretrained weights {pre}")
        elif pre and (self.yolo.ckpt is not None or getattr(self.yolo, "transferred", None)):
            n, total = transfer_weights(model, src.state_dict())
            self.transferred = n
            self.log(f"Transferred {n}/{total} items from {self.yolo.source}")
        elif pre and str(pre).lower() != "false":
            stem = Path(self.yolo.source).stem
            self.log(f"pretrained=True: {self.yolo.source} holds no weights, so training starts from scratch "
                     f"(for Ultralytics' ImageNet weights use model={stem}.pt or pretrained={stem}.pt)")
        return model

    def _checkpoint(self, epoch: int) -> dict[str, Any]:
        """Everything a resume needs, as plain data: weights, EMA, optimizer, scheduler, RNG states."""
        model = de_parallel(self.model)
        model.names, model.imgsz, model.args = self.names, self.args["imgsz"], self._plain_args()
        return checkpoint_from_model(model, epoch=epoch, best_fitness=self.best_top1, best_epoch=self.best_epoch,
                                     best_val_loss=self.best_loss, from_scratch=self.from_scratch,
                                     train_metrics=self.last_row,
                                     ema=self.ema.state_dict(), updates=self.ema.updates,
                                     optimizer=self.optimizer.state_dict(), scheduler=self.scheduler.state_dict(),
                                     scaler=self.scaler.state_dict() if self.scaler is not None else None,
                                     rng=rng_state())

    def _plain_args(self) -> dict[str, Any]:
        return {k: v for k, v in self.args.items() if not k.startswith("_") and k != "resume"}

    def _write_row(self, row: dict[str, Any]) -> None:
        """Add an epoch's row to results.csv, rewritten whole (atomically): a full disk never leaves half a row."""
        path = self.save_dir / "results.csv"
        rows = self._read_rows(path)
        rows.append({k: (f"{v:.6g}" if isinstance(v, float) else str(v)) for k, v in row.items()})
        self._save_rows(path, rows)

    @staticmethod
    def _read_rows(path: Path) -> list[dict[str, str]]:
        if not path.exists():
            return []
        with open(path, newline="") as f:
            return [r for r in csv.DictReader(f) if r.get("epoch")]

    @staticmethod
    def _save_rows(path: Path, rows: list[dict[str, str]]) -> None:
        lines = [",".join(CSV_KEYS)] + [",".join(str(r.get(k, "")) for k in CSV_KEYS) for r in rows]
        write_text(path, "\n".join(lines) + "\n")

    def _truncate_csv(self, epochs_done: int, last_row: dict[str, Any]) -> None:
        """On resume: the rows of the epochs last.pt holds, exactly. A crash may have come after a checkpoint and
        before its row (the row goes second: results.csv never lists an epoch whose weights were not written);
        that row is restored from the checkpoint."""
        path = self.save_dir / "results.csv"
        rows = [r for r in self._read_rows(path) if int(r["epoch"]) <= epochs_done]
        if last_row and not any(int(r["epoch"]) == epochs_done for r in rows):
            rows.append({k: (f"{v:.6g}" if isinstance(v, float) else str(v)) for k, v in last_row.items()})
        if rows or path.exists():
            self._save_rows(path, rows)

    # --- setup --------------------------------------------------------------------------------------------
    def setup(self) -> None:
        """Everything `run()` needs, step by step: device and seeds, data, model, optimizer, then the state of
        a resumed run."""
        self.fire("on_pretrain_routine_start")
        self._setup_device()
        info = self._setup_data()
        self._setup_model()
        self._setup_optimizer()
        if self.rank == 0:
            self._check_space()
        if self.resume_ckpt is not None:
            self._restore(self.resume_ckpt)
        if self.world > 1:
            self.model = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.log(f"train: {info.root} ({len(self.train_images)} images, {self.nc} classes), "
                 f"val: {len(self.val_images) if self.val_images is not None else 'off'}; imgsz={self.args['imgsz']} "
                 f"batch={self.args['batch']} ({self.world} process(es) x {self.batch}) workers={self.workers} "
                 f"threads={torch.get_num_threads()} device={self.device}")
        self.fire("on_pretrain_routine_end")

    def _setup_device(self) -> None:
        """The device (and process group), the thread count beside the loader workers, and the seeds."""
        a = self.args
        self.device = self._device()
        if self.world > 1:
            ddp.init_process_group(self.device)
        self.workers = workers = int(a["workers"]) if a["workers"] is not None else default_workers(self.world)
        if self.device.type == "cpu":  # cores left to loader workers: spinning OpenMP threads on a busy core stall
            # Recorded in the run's args (args.yaml, last.pt): a resumed run uses the same count, so it ends where
            # an uninterrupted run does (float sums depend on how many threads split them).
            a["threads"] = self._threads(workers)
            torch.set_num_threads(a["threads"])
        init_seeds(int(a["seed"]) + self.rank, bool(a["deterministic"]))

    def _threads(self, workers: int) -> int:
        """PyTorch's threads on the CPU: `threads=` when given (a resumed run: its recorded count); else one per
        core that neither the loader workers nor other processes (measured now, see yolocls._cpu) keep busy.
        A thread on a busy core stalls every barrier: on 2 cores with one busy, 2 threads trained 3.7x slower."""
        if self.args.get("threads"):
            return int(self.args["threads"])
        own = max(1, cpu_count() // self.world - workers)
        if self.world > 1:
            return own
        chosen = min(own, compute_threads(workers))
        if chosen < own:
            self.log(f"threads: {chosen} (other processes keep {cpu_count() - free_cores()} of {cpu_count()} "
                     f"cores busy; pass threads= to override)")
        return chosen

    def _setup_data(self) -> DatasetInfo:
        """The dataset (and the training defaults it asks for), the run folder, the train loader and val images."""
        a, workers = self.args, self.workers
        info = dataset_info(a["data"])
        a["data"] = info.spec
        if self.resume_ckpt is None:
            chosen = check_args("train", {k: v for k, v in info.train_defaults.items()
                                          if k in a and k not in self.explicit},
                                caller=f"the train_defaults of {info.root}/dataset.yaml")
            if chosen:
                a.update(chosen)
                self.log(f"dataset: {info.root}/dataset.yaml sets {chosen} (pass them explicitly to override)")
        self.names, self.nc = info.names, len(info.names)
        if self.save_dir is None:
            d = [str(run_dir("train", a["project"], a["name"], a["exist_ok"]))] if self.rank == 0 else [None]
            if self.world > 1:  # every rank must use the folder rank 0 picked
                import torch.distributed as dist

                dist.broadcast_object_list(d, 0)
            self.save_dir = Path(d[0])
        self.wdir = self.save_dir / "weights"
        self.best, self.last = self.wdir / "best.pt", self.wdir / "last.pt"
        if self.rank == 0:
            self.wdir.mkdir(parents=True, exist_ok=True)
            write_text(self.save_dir / "args.yaml", yaml.safe_dump(self._plain_args(), sort_keys=False))
            if self.resume_ckpt is None:  # a new run in a reused folder (exist_ok) starts its own results.csv
                (self.save_dir / "results.csv").unlink(missing_ok=True)

        cache = parse_cache(a["cache"])
        self.train_images = TrainImages(info.root, "train", a["imgsz"], names=self.names, cache=cache,
                                        fraction=float(a["fraction"]), seed=int(a["seed"]))
        self.batch = max(1, a["batch"] // self.world)
        self.loader = build_train_loader(self.train_images, TrainTransform.from_args(a["imgsz"], a), self.batch,
                                         workers, seed=int(a["seed"]), rank=self.rank, world_size=self.world,
                                         pin_memory=self.device.type == "cuda")
        self.val_images = None
        if self.rank == 0 and a["val"]:
            self.val_images = EvalImages(info.root, "val", a["imgsz"], names=self.names,
                                         cache="ram" if cache else None)
        return info

    def _setup_model(self) -> None:
        """The model on the device (built after seeding: seed=N always starts from the same weights), its EMA."""
        # channels-last: oneDNN's convolutions, backward above all, run 10-25% faster in it on CPU here
        self.memory_format = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        self.model = self._build_model(self.nc).to(self.device, memory_format=self.memory_format)
        self.ema = ModelEMA(self.model)

    def _setup_optimizer(self) -> None:
        """Gradient accumulation, optimizer, lr schedule, warm-up, AMP scaler, and the epoch counters."""
        a, nc = self.args, self.nc
        nb = len(self.loader)
        self.accumulate = max(round(NBS / a["batch"]), 1)
        iterations = math.ceil(len(self.train_images) / max(a["batch"], NBS)) * a["epochs"]
        # a resumed run restores its lrs with the optimizer state; from_scratch only keeps its log line true
        self.from_scratch = bool(self.resume_ckpt.get("from_scratch")) if self.resume_ckpt else not self.transferred
        choice = choose_optimizer(a["optimizer"], a["lr0"], a["momentum"], nc, iterations, self.from_scratch)
        if str(a["optimizer"]).lower() == "auto":
            self.log(f"optimizer: 'optimizer=auto' picked {choice.name}(lr={choice.lr}, momentum={choice.momentum}) "
                     f"because {choice.reason}; lr0={a['lr0']} and momentum={a['momentum']} are ignored")
            a["warmup_bias_lr"] = 0.0  # no bias lr spike for Adam-type optimizers
        self.choice = choice
        wd = float(a["weight_decay"]) * a["batch"] * self.accumulate / NBS
        self.optimizer = build_optimizer(self.model, choice, wd)
        self.lf = lr_factor(a["epochs"], float(a["lrf"]), bool(a["cos_lr"]))
        self.scheduler = EpochLR(self.optimizer, self.lf)
        self.nw = warmup_iterations(float(a["warmup_epochs"]), nb, a["epochs"])
        self.amp = bool(a["amp"]) and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.start_epoch, self.best_top1, self.best_epoch, self.last_row = 0, -1.0, -1, {}
        self.best_loss = math.inf
        self.final_last = self.final_best = None  # this session's last and best epochs, as finish() writes them

    def _restore(self, ck: dict[str, Any]) -> None:
        """A resumed run: optimizer, scheduler, EMA, scaler and RNG states, the epoch to start at, the best so far."""
        a = self.args
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scheduler.load_state_dict(ck["scheduler"])
        self.ema.load_state_dict(ck["ema"], ck.get("updates", 0))
        if self.scaler is not None and ck.get("scaler"):
            self.scaler.load_state_dict(ck["scaler"])
        if ck.get("rng"):
            set_rng_state(ck["rng"])
        self.start_epoch = int(ck["epoch"]) + 1
        self.best_top1 = float(ck.get("best_fitness", -1.0))
        self.best_epoch = int(ck.get("best_epoch", ck["epoch"]))
        self.best_loss = float(ck.get("best_val_loss", math.inf))
        self.last_row = dict(ck.get("train_metrics") or {})
        if self.rank == 0:
            self._truncate_csv(self.start_epoch, self.last_row)
        self.log(f"Resuming {self.save_dir} from epoch {self.start_epoch + 1} of {a['epochs']}")

    # --- the loop -----------------------------------------------------------------------------------------
    def train_epoch(self, epoch: int) -> tuple[float, float, int]:
        """One pass over this rank's shard. Returns (mean loss, seconds, images)."""
        from tqdm import tqdm

        a = self.args
        self.model.train()
        self.loader.sampler.set_epoch(epoch)
        nb = len(self.loader)
        sample_log = os.environ.get("YOLOCLS_SAMPLE_LOG")
        t0, seen, tloss = time.perf_counter(), 0, 0.0
        bar = tqdm(self.loader, total=nb, desc=f"{epoch + 1}/{a['epochs']}", disable=not self.verbose,
                   bar_format="{l_bar}{bar:20}{r_bar}", mininterval=0.5)
        self.optimizer.zero_grad()
        last_step = -1
        for i, (imgs, labels, idx) in enumerate(bar):
            ni = i + nb * epoch
            if ni <= self.nw:
                apply_warmup(self.optimizer, ni, self.nw, self.lf(epoch), float(a["warmup_bias_lr"]),
                             float(a["warmup_momentum"]), self.choice.momentum)
                self.accumulate = max(1, int(np.interp(ni, [0, self.nw], [1, NBS / a["batch"]]).round()))
            if epoch == 0 and i == 0 and self.rank == 0 and a["plots"]:
                from .plots import save_mosaic

                save_mosaic(imgs.numpy(), labels.numpy(), self.names, self.save_dir / "train_batch0.jpg")
            if sample_log:
                with open(Path(sample_log) / f"rank{self.rank}.txt", "a") as f:
                    f.write(f"{epoch} " + " ".join(map(str, idx.tolist())) + "\n")
            self.fire("on_train_batch_start")
            x, y = to_float(imgs, self.device, self.memory_format), labels.to(self.device)
            with torch.autocast(self.device.type, enabled=self.amp):
                loss = F.cross_entropy(self.model(x), y, label_smoothing=float(a["label_smoothing"] or 0.0))
            (self.scaler.scale(loss) if self.scaler else loss).backward()
            if i - last_step >= self.accumulate or i == nb - 1:
                self._optimizer_step()
                last_step = i
            tloss = (tloss * i + loss.item()) / (i + 1)
            seen += len(imgs)
            self.tloss = tloss
            self.fire("on_train_batch_end")
            if self.verbose:
                bar.set_postfix_str(f"loss={tloss:.4f} {seen * self.world / (time.perf_counter() - t0):.0f} img/s")
        bar.close()
        return tloss, time.perf_counter() - t0, seen

    def _optimizer_step(self) -> None:
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        # foreach: one fused norm over all gradients (the default loops per tensor on CPU: ~4x slower here)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=10.0, foreach=True)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad()
        self.ema.update(self.model)

    def _save_epoch(self, ckpt: dict[str, Any], epoch: int, targets: list[Path]) -> None:
        """Write the epoch's checkpoints; on a full disk say which epoch was lost and what last.pt holds."""
        try:
            save_checkpoint(ckpt, *targets)
        except DiskFullError as e:
            last = self.wdir / "last.pt"
            if epoch > self.start_epoch or self.resume_ckpt is not None:
                then = f"{last} holds epoch {epoch}; free space, then: yolocls train resume=True model={last}"
            else:
                then = "no epoch was saved; free space and train again"
            raise DiskFullError(e.filename, e.needed, e.free, limit=e.limit,
                                what=f"the checkpoint of epoch {epoch + 1} ({then})") from e

    def _check_space(self) -> None:
        """Refuse before the first epoch when the run folder cannot hold a checkpoint (and the next one beside
        it while it replaces the first): finding out after an hour of training helps nobody."""
        model_bytes = sum(t.numel() * t.element_size() for t in self.model.state_dict().values())
        states = 2 if self.choice.name.lower().startswith(("adam", "nadam", "radam")) else 1  # moments per weight
        ckpt = model_bytes * (2 + states)  # weights, EMA, optimizer state
        require_space(self.wdir, 2 * ckpt, what="training checkpoints", largest=ckpt)

    def validate(self) -> ClassifyMetrics | None:
        if self.val_images is None:
            return None
        from ..runtimes.pt import PyTorchRuntime

        model = self.ema.ema
        model.names, model.imgsz = self.names, self.args["imgsz"]
        rt = PyTorchRuntime(device=str(self.device), model=model)
        return evaluate(rt, self.val_images, batch=self.batch * 2, workers=max(1, self.workers),
                        callbacks=self.callbacks, save_dir=self.save_dir, args=self.args)

    def run(self) -> Path:
        a = self.args
        epochs = a["epochs"]
        t_start, done_this_session = time.time(), False
        self.timing = {"train_seconds": 0.0, "train_images": 0}  # the training passes only (loading included)
        time_limit = float(a["time"]) * 3600 if a["time"] else None
        epoch = self.start_epoch
        self.fire("on_train_start")
        try:
            while epoch < epochs:
                self.epoch, self.epochs = epoch, epochs
                self.fire("on_train_epoch_start")
                loss, dt, seen = self.train_epoch(epoch)
                self.timing["train_seconds"] += dt
                self.timing["train_images"] += seen * self.world
                lr = self.optimizer.param_groups[1]["lr"]  # the lr this epoch ended with (before the step)
                self.lr = {f"lr/pg{i}": float(g["lr"]) for i, g in enumerate(self.optimizer.param_groups)}
                self.scheduler.step()
                self.tloss = loss
                self.fire("on_train_epoch_end")
                stop = False
                if self.rank == 0:
                    m = self.validate()
                    top1 = m.top1 if m is not None else float("nan")
                    row = {"epoch": epoch + 1, "train/loss": loss,
                           "metrics/accuracy_top1": top1, "metrics/accuracy_top5": m.top5 if m else float("nan"),
                           "val/loss": m.loss if m else float("nan"),
                           "lr": lr}
                    self.last_row = row
                    improved = m is None or is_better(top1, m.loss, self.best_top1, self.best_loss)
                    if m is not None and improved:
                        self.best_top1, self.best_loss, self.best_epoch = top1, m.loss, epoch
                    # last.pt is the resume point; the row goes after it, so results.csv never lists an epoch
                    # whose weights were not written (a resume restores a row lost between the two)
                    targets = [self.wdir / "best.pt"] if improved else []
                    if a["save_period"] and a["save_period"] > 0 and (epoch + 1) % a["save_period"] == 0:
                        targets.append(self.wdir / f"epoch{epoch + 1}.pt")
                    ckpt = self._checkpoint(epoch)
                    self._save_epoch(ckpt, epoch, [*targets, self.wdir / "last.pt"])
                    self._write_row(row)
                    self.fire("on_model_save")
                    self.final_last = final_checkpoint(ckpt)
                    if improved:
                        self.final_best = self.final_last
                    done_this_session = True
                    self.metrics = dict(row)
                    self.fire("on_fit_epoch_end")
                    self.log(f"epoch {epoch + 1}/{epochs}: loss {loss:.4f}  "
                             + (f"top1 {m.top1:.4f}  top5 {m.top5:.4f}  val_loss {m.loss:.4f}  " if m else "")
                             + f"{seen * self.world / dt:.0f} img/s  {dt:.1f}s")
                    patience = a["patience"]
                    if m is not None and patience and epoch - self.best_epoch >= patience:
                        self.log(f"Stopping: no top1 improvement in the last {patience} epochs (best "
                                 f"{self.best_top1:.4f} at epoch {self.best_epoch + 1})")
                        stop = True
                    if time_limit and time.time() - t_start > time_limit:
                        self.log(f"Stopping: time={a['time']} hours reached")
                        stop = True
                if ddp.broadcast_flag(stop):
                    break
                if time_limit and epoch == self.start_epoch:  # fit the epoch count to the time budget
                    epochs = a["epochs"] = max(epoch + 1, math.ceil(time_limit / max(dt, 1e-6)))
                    self.lf = lr_factor(epochs, float(a["lrf"]), bool(a["cos_lr"]))
                    self.scheduler.lr_lambdas = [self.lf] * len(self.optimizer.param_groups)
                epoch += 1
        except KeyboardInterrupt:
            if self.rank == 0:
                last = self.wdir / "last.pt"
                if not done_this_session and self.resume_ckpt is None:
                    save_checkpoint(self._checkpoint(epoch - 1), last)  # partial first epoch: keep its weights
                self.log(f"\nInterrupted in epoch {epoch + 1}. {last} holds epoch {epoch if done_this_session else '-'}"
                         f"; continue with: yolocls train resume=True model={last}")
            raise
        best = self.finish()
        self.fire("on_train_end")
        return best

    def finish(self) -> Path:
        """Strip the training state from last.pt and best.pt, validate best.pt, write the plots."""
        best, last = self.wdir / "best.pt", self.wdir / "last.pt"
        if self.rank != 0:
            return best
        # from memory where this session trained the epoch (nothing to read back), else from the file
        if self.final_last is not None and self.final_best is self.final_last:  # last epoch was best: one file
            save_checkpoint(self.final_last, last, best)
        else:
            for path, ck in ((last, self.final_last), (best, self.final_best)):
                if ck is None and path.exists():  # written before a resume
                    ck = final_checkpoint(load_checkpoint(path))
                if ck is not None:
                    save_checkpoint(ck, path)
        if self.args["plots"]:
            from .plots import plot_results

            plot_results(self.save_dir / "results.csv", self.save_dir / "results.png")
        return best


def train(yolo: Any, **kwargs: Any) -> ClassifyMetrics | None:
    """Train the model `yolo` holds (see `yolocls train --help` for every argument).

    Afterwards `yolo.save_dir` is the run folder, `yolo.ckpt_path` its best.pt, `yolo.model` the best weights;
    returns the final validation metrics of best.pt (None with val=False).
    """
    from .validator import print_metrics, val

    kwargs = check_args("train", kwargs, caller="train()")
    rank, _, world = ddp.env_rank()
    devs = ddp.parse_devices(kwargs.get("device", "cpu"))
    nproc = len(devs) if devs[0].isdigit() else int(kwargs.get("nproc") or 1)
    if world == 1 and nproc > 1:  # launch torchrun, then load what rank 0 wrote
        if kwargs.get("resume"):
            save_dir = find_resume_checkpoint(yolo, kwargs["resume"], kwargs.get("project")).parent.parent
            source = str(save_dir / "weights" / "last.pt")
        else:
            save_dir = run_dir("train", kwargs.get("project"), kwargs.get("name"), bool(kwargs.get("exist_ok")))
            source = yolo.source
            if yolo.model is not None and (yolo.ckpt is not None or getattr(yolo, "transferred", None)):
                source = str(yolo.save(save_dir / "weights" / "start.pt"))
        if any(getattr(yolo, "callbacks", {}).values()):
            import warnings

            warnings.warn("callbacks added with add_callback() run in this process only; training with "
                          f"{nproc} processes runs in torchrun workers, which do not call them (the TensorBoard and "
                          "MLflow settings still log)", stacklevel=2)
        ddp.launch(source, {**kwargs, "_save_dir": str(save_dir), "nproc": nproc}, nproc)
        best = save_dir / "weights" / "best.pt"
    else:
        trainer = Trainer(yolo, kwargs)
        threads = torch.get_num_threads()
        try:
            trainer.setup()
            best = trainer.run()
        finally:
            trainer.fire("teardown")
            torch.set_num_threads(threads)  # the count chosen for training's load is not the caller's
        save_dir = trainer.save_dir
        yolo.train_timing = dict(trainer.timing)
        ddp.barrier()
        ddp.cleanup()
        if rank != 0 or os.environ.get(ddp.LAUNCHED_ENV):  # the launching process reports
            return None
    yolo.save_dir = save_dir
    if not best.exists():
        best = save_dir / "weights" / "last.pt"
    yolo._load_checkpoint(best)
    args = yolo.ckpt["train_args"]
    metrics = None
    if args.get("val", True):
        print(f"\nValidating {best}...")
        metrics = val(yolo, device=ddp.parse_devices(kwargs.get("device", "cpu"))[0], verbose=False,
                      plots=bool(args.get("plots")), project=str(save_dir.parent), name=save_dir.name, exist_ok=True)
        print_metrics(metrics)
    print(f"Results saved to {save_dir}")
    return metrics
