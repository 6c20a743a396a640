"""Forward latency of the five YOLOv8-cls scales in PyTorch on this CPU, plus params and true GFLOPs.

Run: .venv/bin/python benchmarks/model_forward.py [--scales n] [--imgsz 224] [--runs 50]
(A script, not a test; the figures go in closing notes and the README.)
"""

from __future__ import annotations

import argparse
from functools import partial

import torch

from yolocls.bench.timing import latency
from yolocls.models import ClassificationModel, count_flops, count_params


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="nsmlx")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=20)
    a = ap.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, imgsz {a.imgsz}, batch 1")
    print(f"{'model':<12} {'params':>12} {'GFLOPs@224':>11} {'GFLOPs@640':>11} {'median ms':>10} {'p90 ms':>8}")
    for s in a.scales:
        m = ClassificationModel(f"yolov8{s}-cls.yaml").eval()
        x = torch.rand(1, 3, a.imgsz, a.imgsz)
        with torch.inference_mode():
            t = latency(partial(m, x), a.runs, a.warmup)
        med, p90 = t.median_ms, t.p90_ms
        print(f"yolov8{s}-cls {count_params(m):>12,} {count_flops(m, 224) / 1e9:>11.3f} "
              f"{count_flops(m, 640) / 1e9:>11.3f} {med:>10.2f} {p90:>8.2f}")


if __name__ == "__main__":
    main()
