"""`yolocls diff` at a deployment size: fp32 artifacts of a trained checkpoint compared block by block, and an
export of a copy whose one convolution in block 4 was changed (what a converter bug in one layer looks like), and
the int8 artifacts (`--int8`, default the ONNX QDQ export) compared at the int8 tolerance.

Run: PYTHONPATH=. .venv/bin/python benchmarks/diff_table.py [--weights best.pt] [--imgsz 224] [--images 32]
     [--formats onnx,openvino,tflite,torchscript] [--int8 onnx] [--sensitivity] [--work DIR]
     [--json benchmarks/results/diff.json]
Model: `--weights`, else the built-in demo checkpoint (yolov8n-cls trained on digits; run at --imgsz, the images
upsampled). The diff time is one `yolocls.diagnose.diff` call over every artifact (loading the checkpoint and
each runtime, preprocessing, the reference and artifact block outputs, the tables), exports not included; the
int8 artifacts (calibrated on digits' train split) are diffed in a second call, timed alone (`int8_diff_seconds`).
`--sensitivity` adds their block ranking (a dozen int8 exports per artifact at --imgsz: minutes, not timed).
With `--work DIR` the artifacts are kept there and reused by the next run (export under cpu-shared, then time
the diff alone under cpu-exclusive). `docs/diagnose.md` quotes the JSON through `<!-- snippet: diff-table -->`. (A script, not a test.)
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks.results` when run as a script

DAMAGED_MODULE = "model.4.m.1.cv2.conv"  # a convolution inside block 4's second bottleneck, weights x 1.1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", type=Path, help="checkpoint (default: the built-in demo model)")
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--formats", default="onnx,openvino,tflite,torchscript")
    ap.add_argument("--int8", default="onnx", help="formats whose int8 export is diffed too ('' for none)")
    ap.add_argument("--sensitivity", action="store_true", help="also rank the int8 artifacts' blocks")
    ap.add_argument("--work", type=Path, help="keep the artifacts here and reuse them (default: a temp folder)")
    ap.add_argument("--json", type=Path, help="also write the reports here (date and machine included)")
    a = ap.parse_args()

    import torch

    from yolocls import YOLO
    from yolocls.diagnose import diff
    from yolocls.engine.exporter import export_model
    from yolocls.exporters import get_exporter

    weights = a.weights
    if weights is None:
        from yolocls.bench.demo import demo_checkpoint

        weights = demo_checkpoint()
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    int8_formats = [f.strip() for f in a.int8.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="yolocls-diff-bench-") as tmp:
        work = a.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ckpt = work / "best.pt"
        if not ckpt.is_file():
            shutil.copy(weights, ckpt)
        model = YOLO(ckpt)
        export_s, artifacts = {}, []
        for fmt in formats:
            spec = get_exporter(fmt)[0]
            path = spec.artifact_path(ckpt)
            if not path.exists():
                t0 = time.perf_counter()
                model.export(format=fmt, imgsz=a.imgsz)
                export_s[fmt] = round(time.perf_counter() - t0, 1)
            artifacts.append(path)
        int8_artifacts = []
        for fmt in int8_formats:
            path = get_exporter(fmt)[0].artifact_path(ckpt, "int8")
            if not path.exists():
                t0 = time.perf_counter()
                model.export(format=fmt, imgsz=a.imgsz, int8=True, data="digits")
                export_s[f"{fmt} int8"] = round(time.perf_counter() - t0, 1)
            int8_artifacts.append(path)
        bad_stem = work / "damaged" / "best.pt"
        bad = get_exporter("onnx")[0].artifact_path(bad_stem)
        if not bad.exists():
            damaged = copy.deepcopy(model.model)
            with torch.no_grad():
                dict(damaged.named_modules())[DAMAGED_MODULE].weight.mul_(1.1)
            bad = export_model(damaged, "onnx", source=bad_stem, imgsz=a.imgsz).path
        load = round(os.getloadavg()[0], 2)  # the diff time is only meaningful on an idle machine
        t0 = time.perf_counter()
        fp32 = diff(ckpt, artifacts, data="digits", images=a.images)
        diff_s = round(time.perf_counter() - t0, 2)
        broken = diff(ckpt, bad, data="digits", images=a.images)
        int8, int8_s = None, None
        if int8_artifacts:
            t0 = time.perf_counter()
            int8 = diff(ckpt, int8_artifacts, data="digits", images=a.images)
            int8_s = round(time.perf_counter() - t0, 2)
            if a.sensitivity:
                int8 = diff(ckpt, int8_artifacts, data="digits", images=a.images, sensitivity=True)

    results = {"load_average_start": load,
               "settings": {"weights": str(a.weights or "demo"), "imgsz": a.imgsz, "images": a.images,
                            "formats": formats, "int8_formats": int8_formats, "damaged_module": DAMAGED_MODULE,
                            "shapes": "as compared"},  # each block's shape is the compared tensor's (at --imgsz)
               "diff_seconds": diff_s, "int8_diff_seconds": int8_s, "export_seconds": export_s or None,
               "fp32": fp32.to_dict(), "damaged": broken.to_dict(), "int8": int8.to_dict() if int8 else None}
    print(f"yolocls diff over {len(formats)} artifacts at imgsz {a.imgsz}, {a.images} images: {diff_s} s")
    if int8_s is not None:
        print(f"yolocls diff over the int8 artifacts ({', '.join(int8_formats)}): {int8_s} s")
    if a.json:
        from benchmarks.results import write_result

        write_result(a.json, "diff", results, modules=["onnxruntime", "openvino", "ai_edge_litert"])


if __name__ == "__main__":
    main()
