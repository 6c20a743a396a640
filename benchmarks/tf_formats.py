"""TensorFlow-family figures: export seconds, size, parity against the .pt and batch-1 latency, per format.

    python benchmarks/tf_formats.py                       # random yolov8n-cls, 1000 classes, imgsz 224
    python benchmarks/tf_formats.py --model best.pt --data digits --imgsz 32

Without --model the network is an untrained yolov8n-cls (nc=1000, BatchNorm statistics randomised), so its
probabilities are flat (~1e-3): the case where an int8 softmax output would round every class to zero.
Parity images come from --data (val split, resized to imgsz). Latency: median of --runs batch-1 calls after
--warmup calls, in this process (TensorFlow imported after paddle). On a shared machine the latencies move with
other jobs' load: compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import warnings
from functools import partial
from pathlib import Path

import numpy as np

from yolocls.bench.timing import latency

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = [("saved_model", {}), ("pb", {}), ("tflite", {}), ("tflite", {"half": True}),
        ("tflite", {"int8": True}), ("tfjs", {}), ("edgetpu", {})]


def random_model(path: Path, imgsz: int) -> Path:
    import torch

    from yolocls.models import (
        ClassificationModel,
        checkpoint_from_model,
        randomize_batchnorm,
        save_checkpoint,
    )

    torch.manual_seed(0)
    m = randomize_batchnorm(ClassificationModel("yolov8n-cls.yaml", nc=1000).eval())
    m.names, m.imgsz, m.args = {i: f"class{i}" for i in range(1000)}, imgsz, {}
    return save_checkpoint(checkpoint_from_model(m, epoch=0), path)


def val_images(data: str, imgsz: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    from yolocls.data.folder import list_split, resolve_data
    from yolocls.data.preprocess import preprocess

    paths, labels, _ = list_split(resolve_data(data), "val")
    idx = np.linspace(0, len(paths) - 1, min(n, len(paths))).round().astype(int)
    return np.stack([preprocess(Image.open(paths[i]).convert("RGB"), imgsz) for i in idx]), np.asarray(labels)[idx]




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a .pt checkpoint (default: random yolov8n-cls, 1000 classes)")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--data", default="digits", help="parity images and int8 calibration data")
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--json", type=Path, help="also write the rows here")
    args = ap.parse_args()

    from yolocls._backends import import_tensorflow
    from yolocls.bench.parity import compare
    from yolocls.engine.exporter import export_model
    from yolocls.models import load_checkpoint, model_from_checkpoint
    from yolocls.runtimes import load_runtime

    work = Path(tempfile.mkdtemp(prefix="yolocls-tfbench-"))
    src = Path(args.model) if args.model else random_model(work / "yolov8n-cls-rand.pt", args.imgsz)
    model = model_from_checkpoint(load_checkpoint(src))
    x, labels = val_images(args.data, args.imgsz, args.images)
    pt = load_runtime(src)
    ref = pt.predict(x)
    rows = [{"format": "pt (reference)", "latency_ms": round(latency(partial(pt.predict, x[:1]), args.runs, args.warmup).median_ms, 2),
             "top1": float((ref.argmax(1) == labels).mean()) if args.model else None}]
    # TensorFlow (paddle first, see yolocls._backends) only after timing PyTorch, so TF's thread pools
    # cannot skew the reference (one run that imported TF first measured PyTorch at 2 s per image).
    import_tensorflow()
    for fmt, kw in ROWS:
        name = f"{fmt}{''.join(f' {k}' for k in kw)}"
        stem = work / name.replace(" ", "_") / src.name
        stem.parent.mkdir()
        stem.write_bytes(src.read_bytes())
        row = {"format": name}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = export_model(model, fmt, source=stem, imgsz=args.imgsz, data=args.data, **kw)
            rt = load_runtime(res.path)
            p = compare(rt.predict(x), ref, labels, precision=rt.precision, fmt=name)
            row.update(export_s=res.seconds, size_mb=res.size_mb, precision=rt.precision, max_abs_dp=p.max_abs,
                       top1_agreement=p.agreement, top1=p.top1 if args.model else None,
                       latency_ms=round(latency(partial(rt.predict, x[:1]), args.runs, args.warmup).median_ms, 2))
            getattr(rt, "close", lambda: None)()
        except Exception as e:  # report and go on: one broken format must not hide the others
            row.update(status=f"{type(e).__name__}: {str(e)[:100]}")
        rows.append(row)
        print(json.dumps(row), flush=True)
    cols = ["format", "export_s", "size_mb", "precision", "max_abs_dp", "top1_agreement", "top1", "latency_ms",
            "status"]
    print(f"\n{src.name} at imgsz {args.imgsz}, {len(x)} {args.data} val images\n")
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols)
              + " |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
