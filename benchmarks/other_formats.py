"""Export time, size, parity and batch-1 latency of the paddle / ncnn / coreml formats at imgsz 224.

Run: PYTHONPATH=. .venv/bin/python benchmarks/other_formats.py [--weights best.pt] [--scale n] [--imgsz 224]
     [--runs 100] [--images 64] [--threads N] [--json benchmarks/results/other_formats.json]
Model: `--weights` (a trained checkpoint, run at --imgsz), else a seeded random yolov8{scale}-cls with 1000
classes and randomised BatchNorm statistics (so logits spread out and precision loss shows in the
probabilities). Images: digits upsampled to imgsz. On a shared CPU, latency is only
comparable within one run: PyTorch and ONNX Runtime are timed in the same run as references.
(A script, not a test; its figures go in closing notes and the README.)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from yolocls._backends import paddle_first

paddle_first()  # before coremltools imports TensorFlow

from functools import partial  # noqa: E402

from yolocls.bench.timing import latency  # noqa: E402
from yolocls.data.digits import digits_arrays  # noqa: E402
from yolocls.data.preprocess import preprocess  # noqa: E402
from yolocls.engine.exporter import export_model  # noqa: E402
from yolocls.runtimes import load_runtime  # noqa: E402

# (label, format, export options, runtime options)
ROWS = [
    ("onnx (reference)", "onnx", {}, {}),
    ("paddle", "paddle", {}, {}),
    ("paddle, oneDNN off", "paddle", {}, {"onednn": False}),
    ("ncnn fp32", "ncnn", {}, {}),
    ("ncnn fp32 weights, fp16 math", "ncnn", {}, {"fp16": True}),
    ("ncnn half (fp16 weights)", "ncnn", {"half": True}, {}),
    ("coreml fp32", "coreml", {}, {}),
    ("coreml half", "coreml", {"half": True}, {}),
    ("coreml int8", "coreml", {"int8": True}, {}),
]




def random_model(scale: str):
    """A seeded untrained model whose BatchNorm statistics are randomised (default ones make every logit ~0)."""
    import torch

    from yolocls.models import ClassificationModel, randomize_batchnorm

    torch.manual_seed(0)
    model = randomize_batchnorm(ClassificationModel(f"yolov8{scale}-cls.yaml"))
    model.names = {i: f"class{i}" for i in range(1000)}
    return model.eval()


def main() -> None:
    import torch

    from yolocls.models import load_checkpoint, model_from_checkpoint
    from yolocls.runtimes.pt import PyTorchRuntime

    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="n")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--weights", default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", type=Path, help="also write the rows here (date and machine included)")
    a = ap.parse_args()
    model = random_model(a.scale) if not a.weights else model_from_checkpoint(load_checkpoint(a.weights)).eval()
    model.imgsz, model.args = a.imgsz, {}
    rkw_all = {"threads": a.threads} if a.threads else {}
    if a.threads:
        torch.set_num_threads(a.threads)
    imgs = digits_arrays()[0][: a.images]
    x = np.stack([preprocess(im, a.imgsz) for im in imgs])
    ref_rt = PyTorchRuntime(model=model)
    ref = ref_rt.predict(x)
    t = latency(partial(ref_rt.predict, x[:1]), a.runs, a.warmup)
    med, p90 = t.median_ms, t.p90_ms
    print(f"{a.weights or f'random yolov8{a.scale}-cls'}, threads {a.threads or 'default'}, imgsz {a.imgsz}, {a.images} images for parity, batch-1 latency over {a.runs} runs")
    print(f"{'row':<30} {'export s':>8} {'size MB':>8} {'max|dp|':>9} {'top1 agree':>10} {'load s':>7} "
          f"{'median ms':>9} {'p90 ms':>7}  note")
    print(f"{'pytorch (reference)':<30} {'':>8} {'':>8} {0:>9.1e} {1:>10.0%} {'':>7} {med:>9.2f} {p90:>7.2f}")
    rows = [{"row": "pytorch (reference)", "max_abs": 0.0, "agreement": 1.0, "median_ms": med, "p90_ms": p90}]
    with tempfile.TemporaryDirectory() as d:
        exported: dict[str, tuple[str, float, float]] = {}
        for label, fmt, ekw, rkw in ROWS:
            key = f"{fmt}{sorted(ekw.items())}"
            if key not in exported:
                src = Path(d) / key.replace(" ", "").replace("'", "").replace("[", "_").replace("]", "").replace(
                    "(", "").replace(")", "").replace(",", "_") / "model.pt"
                src.parent.mkdir()
                res = export_model(model, fmt, source=src, verify=False, **ekw)
                exported[key] = (res.path, res.seconds, res.size_mb)
            path, secs, size = exported[key]
            t0 = time.perf_counter()
            rt = load_runtime(path, **rkw_all, **rkw)
            load_s = time.perf_counter() - t0
            try:
                probs = rt.predict(x)
            except Exception as e:  # Core ML off macOS
                print(f"{label:<30} {secs:>8.2f} {size:>8.2f} {'-':>9} {'-':>10} {load_s:>7.2f} {'-':>9} {'-':>7}  {e}")
                rows.append({"row": label, "format": fmt, "export_s": secs, "size_mb": size, "error": str(e)})
                continue
            diff = float(np.abs(probs - ref).max())
            agree = float((probs.argmax(1) == ref.argmax(1)).mean())
            t = latency(partial(rt.predict, x[:1]), a.runs, a.warmup)
            med, p90 = t.median_ms, t.p90_ms
            print(f"{label:<30} {secs:>8.2f} {size:>8.2f} {diff:>9.1e} {agree:>10.0%} {load_s:>7.2f} {med:>9.2f} "
                  f"{p90:>7.2f}  {rt.version()} {rt.precision}")
            rows.append({"row": label, "format": fmt, "export_s": secs, "size_mb": size, "max_abs": diff,
                         "agreement": agree, "load_s": load_s, "median_ms": med, "p90_ms": p90,
                         "runtime": rt.version(), "precision": rt.precision})
    if a.json:
        from benchmarks.results import write_result

        settings = {"weights": a.weights, "scale": a.scale, "imgsz": a.imgsz, "runs": a.runs, "warmup": a.warmup,
                    "images": a.images, "threads": a.threads}
        write_result(a.json, "other_formats", {"settings": settings, "rows": rows},
                     modules=["onnxruntime", "paddle", "ncnn", "pnnx", "coremltools", "x2paddle"])


if __name__ == "__main__":
    main()
