"""Validation of ANY model the YOLO facade holds (PyTorch in memory, a .pt, or an exported artifact).

Everything goes through the model's Runtime (`predict(NCHW float32) -> probabilities`) and the one shared
preprocessing function, so a TFLite artifact and the PyTorch checkpoint are measured the same way. NumPy only:
validating an exported artifact never imports torch. The trainer validates its EMA model with `evaluate()`.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..data.datasets import EvalImages
from ..data.preprocess import preprocess, preprocess_batch
from ..errors import ConfigError
from .metrics import ClassifyMetrics, MetricsAccumulator


def evaluate(runtime: Any, images: EvalImages, batch: int = 64, workers: int = 2, verbose: bool = False,
             desc: str = "val") -> ClassifyMetrics:
    """Run `runtime` over every image of `images` and measure top1/top5/loss/confusion matrix and speed."""
    acc = MetricsAccumulator(images.names)
    t_pre = t_inf = t_post = 0.0
    imgsz = images.imgsz
    starts = range(0, len(images), max(1, int(batch)))
    bar = None
    if verbose:
        from tqdm import tqdm

        bar = tqdm(total=len(images), desc=desc, unit="img", leave=False, mininterval=0.5)
    with ThreadPoolExecutor(max(1, workers)) as pool:  # Pillow decodes and resizes without the GIL
        for s in starts:
            idx = range(s, min(s + int(batch), len(images)))
            t0 = time.perf_counter()
            if images.cache == "ram":  # resized and cropped already: one vectorised conversion
                x = preprocess_batch([images.load(i) for i in idx], imgsz)
            else:
                x = np.stack(list(pool.map(lambda i: preprocess(images.load(i), imgsz), idx)))
            t1 = time.perf_counter()
            probs = runtime.predict(x)
            t2 = time.perf_counter()
            acc.update(probs, images.labels[s:s + len(idx)])
            t3 = time.perf_counter()
            t_pre, t_inf, t_post = t_pre + t1 - t0, t_inf + t2 - t1, t_post + t3 - t2
            if bar is not None:
                bar.update(len(idx))
    if bar is not None:
        bar.close()
    n = max(len(images), 1)
    speed = {"preprocess": 1e3 * t_pre / n, "inference": 1e3 * t_inf / n, "postprocess": 1e3 * t_post / n}
    return acc.result(speed)


def default_data(yolo: Any, runtime: Any) -> str | None:
    """The dataset a model was trained on: its checkpoint's train_args, or the artifact metadata's `data`."""
    for args in ((getattr(yolo, "ckpt", None) or {}).get("train_args"), getattr(yolo.model, "args", None)):
        if isinstance(args, dict) and args.get("data"):
            return str(args["data"])
    md = getattr(runtime, "metadata", None) or {}
    return str(md["data"]) if md.get("data") else None


def print_metrics(m: ClassifyMetrics, per_class: bool = True) -> None:
    print(f"{'classes':>22}{'top1_acc':>11}{'top5_acc':>11}{'loss':>9}")
    print(f"{'all':>22}{m.top1:>11.3f}{m.top5:>11.3f}{m.loss:>9.4f}")
    if per_class and len(m.names) <= 50:
        for name, a in m.per_class_accuracy.items():
            print(f"{str(name)[:22]:>22}{a:>11.3f}")
    s = m.speed
    print(f"Speed: {s['preprocess']:.2f}ms preprocess, {s['inference']:.2f}ms inference, "
          f"{s['postprocess']:.2f}ms postprocess per image")


def val(yolo: Any, data: str | None = None, split: str = "val", imgsz: int | None = None, batch: int | None = None,
        device: str = "cpu", workers: int | None = None, verbose: bool = True, plots: bool = True,
        project: str | None = None, name: str | None = None, exist_ok: bool = False, **kwargs: Any) -> ClassifyMetrics:
    """Validate the model `yolo` holds on `data` (default: the dataset it was trained on) at `imgsz` (default:
    the model's). Returns ClassifyMetrics (.top1, .top5, .results_dict, .speed, .confusion_matrix)."""
    from ..data.folder import resolve_data

    if split not in ("val", "test", "train"):
        raise ConfigError(f"split='{split}' is not valid: use split=val or split=test")
    runtime = yolo.runtime_for_inference(str(device))
    data = data or default_data(yolo, runtime)
    if not data:
        raise ConfigError(f"model '{yolo.source}' does not record the dataset it was trained on; pass data=<path "
                          f"or name>, e.g. 'yolocls val model={yolo.source} data=digits'")
    imgsz = int(imgsz or yolo.imgsz)
    names = {int(k): str(v) for k, v in (yolo.names or {}).items()}
    root = resolve_data(data)
    workers = int(workers if workers is not None else min(8, os.cpu_count() or 1))
    images = EvalImages(root, split, imgsz, names=names or None, workers=workers)
    if verbose:
        print(f"val: {data} split={split} ({len(images)} images, {len(images.names)} classes) imgsz={imgsz} "
              f"format={yolo.format}")
    m = evaluate(runtime, images, batch=int(batch or 64), workers=workers, verbose=verbose)
    if verbose:
        print_metrics(m)
    if plots:
        from .plots import plot_confusion_matrix
        from .runs import run_dir

        save_dir = run_dir("val", project, name, exist_ok)
        plot_confusion_matrix(m.confusion_matrix, m.names, Path(save_dir) / "confusion_matrix.png")
        m.save_dir = save_dir
        if verbose:
            print(f"Results saved to {save_dir}")
    return m
