"""Export time, size, parity, top-1 and batch-1 latency of a set of formats at imgsz 224, beside ONNX Runtime.

Run: PYTHONPATH=. .venv/bin/python benchmarks/other_formats.py [--rows other|new] [--weights best.pt] [--scale n]
     [--imgsz 224] [--runs 100] [--images 64] [--threads N] [--json benchmarks/results/other_formats.json]
Rows: `other` (paddle / ncnn / coreml, benchmarks/results/other_formats.json) or `new` (onnx int8, mnn, executorch:
--json benchmarks/results/new_formats.json --weights ../shared/fixtures/ultralytics/yolov8n-cls-digits.pt).
Model: `--weights` (a trained checkpoint, run at --imgsz), else a seeded random yolov8{scale}-cls with 1000
classes and randomised BatchNorm statistics (so logits spread out and precision loss shows in the
probabilities). Images: the digits val split upsampled to imgsz (top-1 against its labels); int8 rows
calibrate on the digits train split. On a shared CPU, latency is only
comparable within one run: PyTorch and ONNX Runtime are timed in the same run as references.
(A script, not a test; its figures go in closing notes and the README.)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks.results` when run as a script

import numpy as np

from yolocls._backends import paddle_first

paddle_first()  # before coremltools imports TensorFlow

from functools import partial  # noqa: E402

from yolocls.bench.timing import latency  # noqa: E402
from yolocls.data.digits import digits_arrays, split_indices  # noqa: E402
from yolocls.data.preprocess import preprocess  # noqa: E402
from yolocls.engine.exporter import export_model  # noqa: E402
from yolocls.runtimes import load_runtime  # noqa: E402

# (label, format, export options, runtime options), per row set
ROWS_OTHER = [
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
ROWS_NEW = [
    ("onnx fp32 (reference)", "onnx", {}, {}),
    ("onnx int8", "onnx", {"int8": True, "data": "digits"}, {}),
    ("mnn fp32", "mnn", {}, {}),
    ("mnn half (fp16 weights)", "mnn", {"half": True}, {}),
    ("mnn int8", "mnn", {"int8": True, "data": "digits"}, {}),
    ("executorch fp32", "executorch", {}, {}),
    ("executorch int8", "executorch", {"int8": True, "data": "digits"}, {}),
]
ROW_SETS = {"other": ROWS_OTHER, "new": ROWS_NEW}




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
    ap.add_argument("--rows", choices=sorted(ROW_SETS), default="other")
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
    images, labels = digits_arrays()
    val = split_indices(labels)["val"][: a.images]
    x, labels = np.stack([preprocess(im, a.imgsz) for im in images[val]]), labels[val]
    ref_rt = PyTorchRuntime(model=model)
    ref = ref_rt.predict(x)
    ref_top1 = float((ref.argmax(1) == labels).mean())
    t = latency(partial(ref_rt.predict, x[:1]), a.runs, a.warmup)
    med, p90 = t.median_ms, t.p90_ms
    print(f"{a.weights or f'random yolov8{a.scale}-cls'}, threads {a.threads or 'default'}, imgsz {a.imgsz}, {a.images} images for parity, batch-1 latency over {a.runs} runs")
    print(f"{'row':<30} {'export s':>8} {'size MB':>8} {'max|dp|':>9} {'top1 agree':>10} {'load s':>7} "
          f"{'median ms':>9} {'p90 ms':>7}  note")
    print(f"{'pytorch (reference)':<30} {'':>8} {'':>8} {0:>9.1e} {1:>10.0%} {'':>7} {med:>9.2f} {p90:>7.2f}  "
          f"top-1 {ref_top1:.1%}")
    rows = [{"row": "pytorch (reference)", "max_abs": 0.0, "agreement": 1.0, "top1": ref_top1, "top1_drop": 0.0,
             "median_ms": med, "p90_ms": p90}]
    with tempfile.TemporaryDirectory() as d:
        exported: dict[str, tuple[str, float, float]] = {}
        for label, fmt, ekw, rkw in ROW_SETS[a.rows]:
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
            top1 = float((probs.argmax(1) == labels).mean())
            t = latency(partial(rt.predict, x[:1]), a.runs, a.warmup)
            med, p90 = t.median_ms, t.p90_ms
            print(f"{label:<30} {secs:>8.2f} {size:>8.2f} {diff:>9.1e} {agree:>10.0%} {load_s:>7.2f} {med:>9.2f} "
                  f"{p90:>7.2f}  {rt.version()} {rt.precision}, top-1 {top1:.1%}")
            rows.append({"row": label, "format": fmt, "export_s": secs, "size_mb": size, "max_abs": diff,
                         "agreement": agree, "top1": top1, "top1_drop": ref_top1 - top1, "load_s": load_s, "median_ms": med, "p90_ms": p90,
                         "runtime": rt.version(), "precision": rt.precision})
    if a.json:
        from benchmarks.results import write_result

        settings = {"rows": a.rows, "nc": int(ref.shape[1]), "weights": a.weights, "scale": a.scale, "imgsz": a.imgsz, "runs": a.runs, "warmup": a.warmup,
                    "images": a.images, "threads": a.threads}
        modules = {"other": ["onnxruntime", "paddle", "ncnn", "pnnx", "coremltools", "x2paddle"],
                   "new": ["onnxruntime", "MNN", "executorch", "torchao"]}[a.rows]
        write_result(a.json, Path(a.json).stem, {"settings": settings, "rows": rows}, modules=modules)


if __name__ == "__main__":
    main()
