"""Parameters and true GFLOPs of each model scale at imgsz 224 and 640 (nc=1000): the docs' model table.

Run: PYTHONPATH=. .venv/bin/python benchmarks/model_table.py [--models yolov8n-cls.yaml ...]
     [--json benchmarks/results/model_table.json]
GFLOPs are 2 x the multiply-adds of every Conv2d and Linear layer (yolocls.models.count_flops, on the meta
device: instant, and the same on every machine). "published" is the "FLOPs at 640" column of the Ultralytics
YOLOv8-cls model table, quoted for comparison (its counter runs the final Linear at every 20x20 position).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PUBLISHED_GFLOPS_640 = {"yolov8n-cls": 4.3, "yolov8s-cls": 13.5, "yolov8m-cls": 42.7, "yolov8l-cls": 99.7,
                        "yolov8x-cls": 154.8}
DEFAULT_MODELS = [f"yolov8{s}-cls.yaml" for s in "nsmlx"]


def rows(models: list[str]) -> list[dict]:
    from yolocls.models import ClassificationModel, count_flops, count_params

    out = []
    for cfg in models:
        model = ClassificationModel(cfg)
        name = cfg.removesuffix(".yaml")
        out.append({"model": name, "params": count_params(model), "gflops_224": count_flops(model, 224) / 1e9,
                    "gflops_640": count_flops(model, 640) / 1e9, "published_gflops_640": PUBLISHED_GFLOPS_640.get(name)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    ap.add_argument("--json", type=Path, help="also write the rows here (date and machine included)")
    a = ap.parse_args()
    table = rows(a.models)
    for r in table:
        print(f"{r['model']:<14} {r['params']:>12,} {r['gflops_224']:>8.3f} {r['gflops_640']:>8.2f} "
              f"{r['published_gflops_640'] or '':>6}")
    if a.json:
        from benchmarks.results import write_result

        write_result(a.json, "model_table", {"nc": 1000, "rows": table})


if __name__ == "__main__":
    main()
