"""Export seconds, artifact size and batch-1 latency per format for yolov8n-cls, in one run.

Run: .venv/bin/python benchmarks/export_latency.py [--imgsz 224] [--runs 100] [--warmup 30] [--out DIR]
(A script, not a test. Random weights, 1000 classes; int8 calibrates on the built-in digits. The machine's
other load inflates every latency: compare rows of one run, and re-run on an idle machine for absolutes.)
"""

from __future__ import annotations

import argparse
import os
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

from yolocls.bench.timing import latency

# (row label, format, export options, runtime options)
ROWS = [
    ("pt", "pt", {}, {}),
    ("torchscript", "torchscript", {}, {}),
    ("onnx fp32", "onnx", {}, {}),
    ("openvino fp32", "openvino", {}, {}),
    ("openvino fp16", "openvino", {"half": True}, {}),
    ("openvino int8", "openvino", {"int8": True, "data": "digits", "fraction": 0.2}, {}),
]




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="yolov8n-cls.yaml")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--out", default=None, help="folder for the artifacts (default: a temp folder)")
    a = ap.parse_args()

    from yolocls import YOLO
    from yolocls.engine.export_many import export_one
    from yolocls.runtimes import load_runtime

    out = Path(a.out or tempfile.mkdtemp(prefix="yolocls-bench-"))
    os.environ.setdefault("YOLOCLS_DATASETS", str(out / "datasets"))
    model = YOLO(a.model)
    model.model.imgsz = a.imgsz
    ckpt = model.save(out / f"{Path(a.model).stem}.pt")
    model = YOLO(ckpt)
    x = np.random.default_rng(0).random((1, 3, a.imgsz, a.imgsz), dtype=np.float32)
    ref = None
    print(f"{a.model} imgsz {a.imgsz} batch 1, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'row':<15} {'export s':>9} {'size MB':>8} {'median ms':>10} {'p90 ms':>8} {'max|dp|':>9} precision")
    for label, fmt, export_kw, rt_kw in ROWS:
        if fmt == "pt":
            path, secs, size = ckpt, 0.0, ckpt.stat().st_size / 2**20
        else:
            res = export_one(model, fmt, **export_kw)
            if res.status != "ok":
                print(f"{label:<15} {res.status}: {res.reason}")
                continue
            secs, size = res.seconds, res.size_mb
            path = Path(res.path).with_name(f"{label.replace(' ', '_')}_{Path(res.path).name}")  # keep each one
            os.replace(res.path, path)
        rt = load_runtime(path, **rt_kw)
        y = rt.predict(x)
        ref = y if ref is None else ref
        t = latency(partial(rt.predict, x), a.runs, a.warmup)
        med, p90 = t.median_ms, t.p90_ms
        print(f"{label:<15} {secs:>9.2f} {size:>8.2f} {med:>10.2f} {p90:>8.2f} {np.abs(y - ref).max():>9.2e} "
              f"{rt.precision}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f} (export seconds exclude the load-and-run verification)")


if __name__ == "__main__":
    main()
