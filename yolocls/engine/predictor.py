"""Prediction: any source -> batches through the model's runtime -> one `Results` per image.

The same code runs every model the `YOLO` facade holds (PyTorch or any exported artifact): it only calls
`yolo.runtime_for_inference(device)`, and preprocesses with `yolocls.data.preprocess`, so every format sees
identical inputs. Decoding runs in a few threads that stay a couple of batches ahead of the model.
"""

from __future__ import annotations

import difflib
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from PIL import Image

from ..data.images import array_to_image, load_image, open_image, to_rgb
from ..data.preprocess import preprocess
from ..data.sources import Source, SourceItem, fetch_url, load_source
from ..errors import ConfigError, SourceError
from .callbacks import Callbacks, run_callbacks
from .prefetch import ordered_map
from .results import Results
from .runs import run_dir


@dataclass
class PredictOptions:
    """The keyword arguments `predict` takes (the predict keys of cfg/default.yaml)."""

    imgsz: Any = None  # default: the model's
    batch: int | None = None  # default 1
    device: str = "cpu"
    workers: int | None = None  # decoding threads; 0 decodes in the calling thread
    verbose: bool = True
    save: bool = False
    save_txt: bool = False
    show: bool = False
    vid_stride: int = 1
    eager: bool = False  # .pt: eager PyTorch instead of the cached in-memory ONNX Runtime session
    project: str | None = None
    name: str | None = None
    exist_ok: bool = False


def _options(kwargs: dict[str, Any]) -> PredictOptions:
    from ..cfg import check_args

    known = [f.name for f in fields(PredictOptions)]
    for k in kwargs:
        if k not in known:
            close = difflib.get_close_matches(k, known, n=1)
            raise ConfigError(f"predict() got an unknown argument '{k}'."
                              + (f" Did you mean '{close[0]}'?" if close else f" Known: {', '.join(known)}"))
    o = PredictOptions(**check_args("predict", kwargs, caller="predict()"))
    o.batch = 1 if o.batch is None else int(o.batch)
    o.workers = min(4, os.cpu_count() or 1) if o.workers is None else int(o.workers)
    if o.batch < 1 or o.workers < 0:
        raise ConfigError(f"predict needs batch >= 1 and workers >= 0; got batch={o.batch}, workers={o.workers}")
    return o


def _imgsz(imgsz: Any, default: int) -> int:
    if imgsz is None:
        return int(default)
    sizes = list(imgsz) if isinstance(imgsz, (list, tuple)) else [imgsz]
    if not sizes or len(set(int(s) for s in sizes)) != 1 or int(sizes[0]) < 1:
        raise ConfigError(f"imgsz={imgsz} must be one positive size (classification inputs are square)")
    return int(sizes[0])


def predict(yolo: Any, source: Any = None, stream: bool = False, **kwargs: Any) -> list[Results] | Iterator[Results]:
    """Predict on `source` (see yolocls.data.sources) with the model `yolo` holds.

    Returns a list of `Results`, or with `stream=True` a generator that yields them one batch at a time (constant
    memory on any number of images). The source is checked now: a missing path, an empty folder or an unusable
    input raises SourceError before anything runs.
    """
    o = _options(kwargs)
    src = load_source(source, vid_stride=o.vid_stride)
    runtime = yolo.runtime_for_inference(o.device, fast=not o.eager)
    gen = _run(runtime, src, _imgsz(o.imgsz, runtime.imgsz), o, getattr(yolo, "callbacks", None))
    return gen if stream else list(gen)


# --- one image: decode + preprocess (runs in the worker threads) ----------------------------------------------
@dataclass(slots=True)
class Prepared:
    item: SourceItem
    x: np.ndarray | None  # CHW float32, the model input
    orig: Any  # what Results.orig_img is made from: an image, an array, or a callable that reads it
    orig_shape: tuple[int, int] | None
    ms: float
    error: str | None = None


def _decode_bytes(data: bytes) -> Image.Image:
    return open_image(data)[0]


def _chw_to_hwc(x: np.ndarray) -> np.ndarray:
    return (x.transpose(1, 2, 0) * 255.0).round().clip(0, 255).astype(np.uint8)


def prepare(item: SourceItem, imgsz: int, keep: bool) -> Prepared:
    """Decode `item` and make its model input. `keep`: hold the full-size image for plotting (save/show); else
    files are referenced by path and read again only if `orig_img` is asked for."""
    t0 = time.perf_counter()
    try:
        kind, data = item.kind, item.data
        if kind in ("file", "url"):
            if kind == "url":
                data = fetch_url(item.path)
            img, shape = open_image(item.path if kind == "file" else data, imgsz)
            reread = partial(load_image, item.path) if kind == "file" else partial(_decode_bytes, data)
            full = img.size == (shape[1], shape[0])
            orig = (img if full else reread()) if keep else reread
        elif kind == "chw":
            if data.shape[1:] == (imgsz, imgsz):  # already a model input: used as is, no resampling
                x = np.ascontiguousarray(data, dtype=np.float32)
                return Prepared(item, x, partial(_chw_to_hwc, data), data.shape[1:], _ms(t0))
            img = orig = Image.fromarray(_chw_to_hwc(data))
            shape = data.shape[1:]
        elif kind == "pil":
            img, orig, shape = to_rgb(data), data, (data.height, data.width)
        else:  # array, frame: HWC uint8 RGB
            img, orig, shape = array_to_image(data, item.path), data, data.shape[:2]
        return Prepared(item, preprocess(img, imgsz), orig, tuple(shape), _ms(t0))
    except SourceError as e:
        return Prepared(item, None, None, None, _ms(t0), str(e))


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


# --- the loop -----------------------------------------------------------------------------------------------
def _batches(it: Iterator[Prepared], n: int) -> Iterator[list[Prepared]]:
    chunk: list[Prepared] = []
    for p in it:
        chunk.append(p)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _run(runtime: Any, src: Source, imgsz: int, o: PredictOptions,
         callbacks: Callbacks | None = None) -> Iterator[Results]:
    names = {int(k): str(v) for k, v in (runtime.names or {}).items()}  # artifact metadata may key by str
    keep = o.save or o.show
    save_dir = run_dir("predict", o.project, o.name, o.exist_ok) if (o.save or o.save_txt) else None
    outputs = _Outputs(save_dir, o.save, o.save_txt)
    # what predict callbacks receive (Ultralytics' predictor attributes): results and batch of the current batch
    state = SimpleNamespace(results=[], batch=[], save_dir=save_dir, args=o, model=runtime, imgsz=imgsz)
    run_callbacks(callbacks, "on_predict_start", state)
    totals, count, n_ok, t_start = np.zeros(3), 0, 0, time.perf_counter()
    prepared = ordered_map(partial(prepare, imgsz=imgsz, keep=keep), src, o.workers, depth=2 * o.batch + o.workers)
    try:
        for chunk in _batches(prepared, o.batch):
            state.batch = [p.item.path for p in chunk]
            run_callbacks(callbacks, "on_predict_batch_start", state)
            good = [p for p in chunk if p.error is None]
            t0 = time.perf_counter()
            probs = runtime.predict(np.stack([p.x for p in good])) if good else None
            t_inf = _ms(t0) / max(1, len(good))
            t1, results, j = time.perf_counter(), [], 0
            for p in chunk:
                it = p.item
                if p.error is not None:
                    if src.single:
                        raise SourceError(p.error)
                    warnings.warn(f"skipping unreadable image: {p.error}", stacklevel=2)
                    results.append(Results(None, it.path, names, error=p.error, name=it.name, frame=it.frame,
                                           save_dir=save_dir))
                    continue
                results.append(Results(p.orig, it.path, names, probs[j], orig_shape=p.orig_shape, name=it.name,
                                       frame=it.frame, speed={"preprocess": p.ms, "inference": t_inf},
                                       save_dir=save_dir))
                j += 1
            t_post = _ms(t1) / len(chunk)
            state.results = results
            run_callbacks(callbacks, "on_predict_postprocess_end", state)
            for p, r in zip(chunk, results, strict=True):
                r.speed["postprocess"] = t_post
                if r.ok:
                    totals += (p.ms, t_inf, t_post)
                    n_ok += 1
                count += 1
                if o.verbose:
                    print(_line(r, p.item, count, src.count, imgsz, t_inf))
                outputs.write(r, p.item)
                if o.show and r.ok:
                    r.show()
                yield r
            run_callbacks(callbacks, "on_predict_batch_end", state)
        run_callbacks(callbacks, "on_predict_end", state)
    finally:
        prepared.close()  # stops the decoding threads when the caller leaves a stream early
        outputs.close()
    if o.verbose:
        print(_summary(totals / max(1, n_ok), count, time.perf_counter() - t_start, (o.batch, 3, imgsz, imgsz),
                       outputs))


def _line(r: Results, item: SourceItem, i: int, n: int, imgsz: int, t_inf: float) -> str:
    """`image 3/20 path: 224x224 7 0.98, 1 0.01, ..., 1.2ms` (video: `video 1/1 (frame 3/30) path: ...`)."""
    if item.kind == "frame":
        head = f"video {i}/{n or '?'} (frame {item.frame}/{item.frames or '?'}) {r.path}"
    else:
        head = f"image {i}/{n} {r.path}"
    if not r.ok:
        return f"{head}: {r.verbose()}"
    return f"{head}: {imgsz}x{imgsz} {r.verbose()}, {t_inf:.1f}ms"


def _summary(per_image: np.ndarray, count: int, wall: float, shape: tuple[int, ...], outputs: _Outputs) -> str:
    pre, inf, post = per_image
    lines = [f"Speed: {pre:.1f}ms preprocess, {inf:.1f}ms inference, {post:.1f}ms postprocess per image at shape "
             f"{shape}; {count} images in {wall:.2f}s ({count / max(wall, 1e-9):.1f} images/s)"]
    if outputs.dir is not None:
        lines.append(f"Results saved to {outputs.dir}" + "".join(f", {s}" for s in outputs.report()))
    return "\n".join(lines)


class _Outputs:
    """save=True: annotated images (original size; videos as .mp4) and save_txt=True: labels/<name>.txt files."""

    def __init__(self, save_dir: Path | None, save: bool, save_txt: bool):
        self.dir, self.save, self.save_txt = save_dir, save, save_txt
        self.images = self.labels = 0
        self.used: set[str] = set()
        self.videos: dict[str, Any] = {}

    def _unique(self, name: str) -> str:
        """Two inputs with the same file name (from different folders) must not overwrite each other's output."""
        stem, suffix, n = str(Path(name).with_suffix("")), Path(name).suffix, 2
        out = name
        while out in self.used:
            out, n = f"{stem}_{n}{suffix}", n + 1
        self.used.add(out)
        return out

    def write(self, r: Results, item: SourceItem) -> None:
        if self.dir is None or not r.ok:
            return
        if item.kind == "frame":
            if self.save:
                w = self.videos.get(item.path)
                if w is None:
                    from ..data.video import VideoWriter, video_fps

                    out = self._unique(str(Path(item.name).with_suffix(".mp4")))
                    w = self.videos[item.path] = VideoWriter(self.dir / out, video_fps(item.path))
                    self.images += 1
                w.write(r.plot())
            if self.save_txt:
                r.save_txt(self.dir / "labels" / f"{Path(item.name).with_suffix('')}_{item.frame}.txt")
                self.labels += 1
            return
        name = self._unique(item.name if Path(item.name).suffix else f"{item.name}.jpg")
        if self.save:
            r.save(self.dir / name)
            self.images += 1
        if self.save_txt:
            r.save_txt((self.dir / "labels" / name).with_suffix(".txt"))
            self.labels += 1

    def close(self) -> None:
        for w in self.videos.values():
            w.close()
        self.videos.clear()

    def report(self) -> list[str]:
        out = []
        if self.save:
            out.append(f"{self.images} annotated {'file' if self.images == 1 else 'files'}")
        if self.save_txt:
            out.append(f"{self.labels} label{'' if self.labels == 1 else 's'} in {self.dir / 'labels'}")
        return out
