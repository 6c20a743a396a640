"""Prediction throughput: yolov8n-cls (random weights) at imgsz 224 over 500 generated 640x480 JPEG photos.

Prints images/s and the share of wall time spent outside the model forward, at batch 1 and batch 32.
The issue's floor: at batch 32, time outside the forward <= 30% of the total.

    python benchmarks/predict_speed.py [--n 500] [--batch 1 32] [--workers N] [--images DIR]

A script, not a test: timings depend on the machine and on whatever else is running on it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_photos(folder: Path, n: int = 500, size: tuple[int, int] = (640, 480), seed: int = 0) -> list[Path]:
    """`n` photo-like JPEGs (smooth random colour gradients plus sensor-like noise, quality 90)."""
    rng = np.random.default_rng(seed)
    w, h = size
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
        smooth = np.asarray(coarse.resize((w, h), Image.BICUBIC), dtype=np.float32)
        img = (smooth + rng.normal(0, 8, (h, w, 3))).clip(0, 255).astype(np.uint8)
        p = folder / f"photo_{i:04d}.jpg"
        Image.fromarray(img).save(p, quality=90)
        paths.append(p)
    return paths


def run(model, folder: Path, batch: int, workers: int | None) -> dict[str, float]:
    # Warm-up (first forward allocations, thread pools), not timed.
    for _ in model.predict(str(folder / "photo_000*.jpg"), stream=True, batch=batch, imgsz=224, verbose=False,
                           workers=workers):
        pass
    n, forward = 0, 0.0
    t0 = time.perf_counter()
    for r in model.predict(str(folder), stream=True, batch=batch, imgsz=224, verbose=False, workers=workers):
        n += 1
        forward += r.speed["inference"] / 1000.0
    wall = time.perf_counter() - t0
    return {"batch": batch, "images": n, "wall_s": wall, "images_per_s": n / wall, "forward_s": forward,
            "outside_share": 1.0 - forward / wall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--workers", type=int, default=None, help="decoding threads (default: predict's own)")
    ap.add_argument("--images", type=Path, default=None, help="reuse/keep the generated images in this folder")
    args = ap.parse_args(argv)

    from yolocls import YOLO

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.images or Path(tmp) / "photos"
        if len(list(folder.glob("photo_*.jpg"))) != args.n:
            t = time.perf_counter()
            make_photos(folder, args.n)
            print(f"generated {args.n} 640x480 JPEGs in {folder} ({time.perf_counter() - t:.1f}s)")
        model = YOLO("yolov8n-cls.yaml")
        import torch

        print(f"yolov8n-cls (random weights), imgsz 224, {os.cpu_count()} CPUs, torch threads "
              f"{torch.get_num_threads()}")
        print(f"{'batch':>5} {'images/s':>9} {'wall s':>7} {'forward s':>9} {'outside forward':>15}")
        rows = [run(model, folder, b, args.workers) for b in args.batch]
        for r in rows:
            print(f"{r['batch']:>5} {r['images_per_s']:>9.1f} {r['wall_s']:>7.2f} {r['forward_s']:>9.2f} "
                  f"{r['outside_share']:>14.1%}")
        b32 = [r for r in rows if r["batch"] == 32]
        if b32:
            ok = b32[0]["outside_share"] <= 0.30
            print(f"floor (batch 32, outside forward <= 30%): {'met' if ok else 'NOT met'}")
            return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
