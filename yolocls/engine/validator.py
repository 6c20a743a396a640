"""Validation of ANY model the YOLO facade holds (PyTorch in memory, a .pt, or an exported artifact).

Everything goes through the model's Runtime (`predict(NCHW float32) -> probabilities`) and the one shared
preprocessing function, so a TFLite artifact and the PyTorch checkpoint are measured the same way. NumPy only:
validating an exported artifact never imports torch. The trainer validates its EMA model with `evaluate()`.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..data.datasets import EvalImages
from ..data.preprocess import preprocess, preprocess_batch
from ..errors import ConfigError
from .callbacks import Callbacks, run_callbacks
from .metrics import ClassifyMetrics, MetricsAccumulator


def evaluate(runtime: Any, images: EvalImages, batch: int = 64, workers: int = 2, verbose: bool = False,
             desc: str = "val", callbacks: Callbacks | None = None, save_dir: Path | None = None,
             args: dict[str, Any] | None = None) -> ClassifyMetrics:
    """Run `runtime` over every image of `images` and measure top1/top5/loss/confusion matrix and speed.

    `callbacks` get the val events with a validator state (`.metrics` once done, `.batch_i`, `.save_dir`,
    `.args`, `.images`)."""
    state = SimpleNamespace(metrics=None, batch_i=0, save_dir=save_dir, args=dict(args or {}), images=images)
    run_callbacks(callbacks, "on_val_start", state)
    acc = MetricsAccumulator(images.names)
    t_pre = t_inf = t_post = 0.0
    imgsz = images.imgsz
    starts = range(0, len(images), max(1, int(batch)))
    bar = None
    if verbose:
        from tqdm import tqdm

        bar = tqdm(total=len(images), desc=desc, unit="img", leave=False, mininterval=0.5)
    with ThreadPoolExecutor(max(1, workers)) as pool:  # Pillow decodes and resizes without the GIL
        for state.batch_i, s in enumerate(starts):
            run_callbacks(callbacks, "on_val_batch_start", state)
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
            run_callbacks(callbacks, "on_val_batch_end", state)
            if bar is not None:
                bar.update(len(idx))
    if bar is not None:
        bar.close()
    n = max(len(images), 1)
    speed = {"preprocess": 1e3 * t_pre / n, "inference": 1e3 * t_inf / n, "postprocess": 1e3 * t_post / n}
    state.metrics = acc.result(speed)
    run_callbacks(callbacks, "on_val_end", state)
    return state.metrics


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
        project: str | None = None, name: str | None = None, exist_ok: bool = False, save_json: bool = False,
        **kwargs: Any) -> ClassifyMetrics:
    """Validate the model `yolo` holds on `data` (default: the dataset it was trained on) at `imgsz` (default:
    the model's). Returns ClassifyMetrics (.top1, .top5, .results_dict, .speed, .confusion_matrix).

    `save_json=True` writes `metrics.json` (every figure, the confusion matrix, what was validated) into the
    run folder; `plots=True` the confusion matrix picture."""
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
    save_dir = None
    if plots or save_json:
        from .runs import run_dir

        save_dir = run_dir("val", project, name, exist_ok)
    args = {"data": str(data), "split": split, "imgsz": imgsz, "batch": int(batch or 64), "device": str(device),
            "model": yolo.source, "format": yolo.format}
    m = evaluate(runtime, images, batch=int(batch or 64), workers=workers, verbose=verbose,
                 callbacks=getattr(yolo, "callbacks", None), save_dir=save_dir, args=args)
    m.save_dir = save_dir
    if verbose:
        print_metrics(m)
    if save_dir is not None:
        if plots:
            from .plots import plot_confusion_matrix

            plot_confusion_matrix(m.confusion_matrix, m.names, Path(save_dir) / "confusion_matrix.png")
        if save_json:
            write_metrics_json(m, Path(save_dir) / "metrics.json", args)
        if verbose:
            print(f"Results saved to {save_dir}")
    return m


def metrics_json(m: ClassifyMetrics, args: dict[str, Any]) -> dict[str, Any]:
    """What `save_json=True` writes: the metrics (Ultralytics' keys and plain ones), per-class accuracy, the
    confusion matrix (rows: true class) and what was validated, with the yolocls version and date."""
    from .._version import __version__

    return {"metrics": m.results_dict, "top1": m.top1, "top5": m.top5, "loss": m.loss, "images": m.n,
            "speed_ms": m.speed, "per_class_accuracy": m.per_class_accuracy,
            "names": {str(k): v for k, v in m.names.items()}, "confusion_matrix": m.confusion_matrix.tolist(),
            **args, "yolocls": __version__, "date": datetime.now().astimezone().isoformat(timespec="seconds")}


def write_metrics_json(m: ClassifyMetrics, path: Path, args: dict[str, Any]) -> Path:
    from .._io import write_text

    return write_text(path, json.dumps(_nan_to_none(metrics_json(m, args)), indent=2, allow_nan=False) + "\n")


def _nan_to_none(x: Any) -> Any:
    """NaN (the accuracy of a class without images) is not JSON: null."""
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_nan_to_none(v) for v in x]
    return x
