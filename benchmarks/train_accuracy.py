"""Benchmark: training accuracy on a user's plain folder, the way an Ultralytics user trains it.

Copies the built-in `digits` ImageFolder to `<datasets>/digits-plain` *without* its dataset.yaml (so none of
its `train_defaults` apply: a user's own folder has no such file), then trains, each run in a fresh process,

    train(data=<folder>, model=yolov8n-cls.yaml, epochs=10, imgsz=32, batch=64, seed=S)   for S in 0, 1, 2
    the same with epochs=30, seed 0

and prints val top-1 of each run's best.pt (the final validation `train()` returns), the mean over the 10-epoch
seeds, and each run's images/s end to end (epochs x train images / wall time of `YOLO(...)` + `train()`).
The rows also go to a JSON file (--json, default benchmarks/results/train_accuracy.json, with the date, command
and machine, which the docs' `train-accuracy` snippet renders).

Floors (issue 16): mean 10-epoch top-1 >= 0.89, no seed below 0.85, 30-epoch seed 0 >= 0.955.

A/B use: `--set key=value` passes extra training arguments to every run (e.g. `--set warmup_epochs=1`), and
`--tool ultralytics --python /work/ulvenv/bin/python` runs the same command in Ultralytics (YOLO_OFFLINE=1,
workers as ours: 0 on CPU, which Ultralytics forces anyway), for the side-by-side comparison. Runs are
deterministic per seed on one machine; run them under `cpu-shared`, and timing comparisons under `cpu-exclusive`.

    python benchmarks/train_accuracy.py [--seeds 0,1,2] [--epochs 10] [--long-epochs 30] [--set k=v ...]
                                        [--tool yolocls|ultralytics --python PY] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEAN_FLOOR, SEED_FLOOR, LONG_FLOOR = 0.89, 0.85, 0.955
BASE = {"model": "yolov8n-cls.yaml", "imgsz": 32, "batch": 64}


def plain_digits() -> Path:
    """`digits` as a user's plain ImageFolder: its train/ and val/ images without dataset.yaml (written once,
    atomically, beside `digits` in the datasets folder)."""
    sys.path.insert(0, str(ROOT))
    from yolocls.data.folder import datasets_dir, resolve_data

    src = resolve_data("digits")
    dst = datasets_dir() / "digits-plain"
    if not ((dst / "train").is_dir() and (dst / "val").is_dir()):
        tmp = Path(tempfile.mkdtemp(prefix=".digits-plain.", dir=dst.parent))
        try:
            for split in ("train", "val"):
                shutil.copytree(src / split, tmp / split)
            os.replace(tmp, dst)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return dst.resolve()


def parse_value(s: str):
    """`--set` values as YAML scalars (0.1, true, none, randaugment)."""
    import yaml

    return yaml.safe_load(s)


def run_yolocls(data: str, seed: int, epochs: int, extra: dict) -> dict:
    import torch  # noqa: F401  (imported before the clock, as train_digits.py does)

    sys.path.insert(0, str(ROOT))
    from yolocls import YOLO

    tmp = Path(tempfile.mkdtemp(prefix="yolocls-acc-"))
    try:
        t0 = time.perf_counter()
        model = YOLO(BASE["model"])
        m = model.train(data=data, epochs=epochs, imgsz=BASE["imgsz"], batch=BASE["batch"], seed=seed,
                        project=str(tmp), name="train", verbose=False, **extra)
        wall = time.perf_counter() - t0
        csv_path = tmp / "train" / "results.csv"
        return {"top1": m.top1, "top5": m.top5, "wall": wall, "curve": read_curve(csv_path),
                "loss": read_curve(csv_path, "train/loss"), "val_loss": read_curve(csv_path, "val/loss"),
                "threads": torch.get_num_threads()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_ultralytics(data: str, seed: int, epochs: int, extra: dict) -> dict:
    import torch  # noqa: F401

    tmp = Path(tempfile.mkdtemp(prefix="ul-acc-"))
    os.environ.setdefault("YOLO_CONFIG_DIR", str(tmp / "cfg"))
    try:
        from ultralytics import YOLO

        t0 = time.perf_counter()
        model = YOLO(BASE["model"])
        model.train(data=data, epochs=epochs, imgsz=BASE["imgsz"], batch=BASE["batch"], seed=seed, workers=0,
                    device="cpu", project=str(tmp), name="train", verbose=False, **extra)
        wall = time.perf_counter() - t0
        m = model.trainer.metrics  # the final validation of best.pt
        return {"top1": float(m["metrics/accuracy_top1"]), "top5": float(m["metrics/accuracy_top5"]), "wall": wall,
                "curve": read_curve(tmp / "train" / "results.csv"),
                "loss": read_curve(tmp / "train" / "results.csv", "train/loss"), "threads": torch.get_num_threads()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_curve(path: Path, column: str = "metrics/accuracy_top1") -> list[float]:
    """One column of a results.csv (either tool's) per epoch: val top-1 by default."""
    import csv

    if not path.is_file():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    key = next((k for k in (rows[0] if rows else {}) if k.strip() == column), None)
    return [round(float(r[key]), 4) for r in rows] if key else []


def write_summary(opts: argparse.Namespace, seeds: list[int], extra: dict, data: str, rows: list[dict],
                  complete: bool) -> dict:
    """The summary of the runs so far, written after every run (`complete` false until the last), so that an
    interrupted benchmark still leaves what it measured."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.results import write_result

    short = [r["top1"] for r in rows if r["epochs"] == opts.epochs and r["seed"] in seeds][:len(seeds)]
    long = [r["top1"] for r in rows if r["epochs"] == opts.long_epochs][-1:] if opts.long_epochs else []
    ok = (complete and bool(short) and statistics.mean(short) >= MEAN_FLOOR and min(short) >= SEED_FLOOR
          and (not opts.long_epochs or bool(long) and long[0] >= LONG_FLOOR))
    floors_apply = opts.data is None and not extra and opts.epochs == 10 and seeds == [0, 1, 2] and (
        opts.long_epochs in (0, 30))
    summary = {"tool": opts.tool, "data": data, "base": BASE, "extra": extra, "seeds": seeds, "epochs": opts.epochs,
               "mean_top1": statistics.mean(short) if short else None, "min_top1": min(short) if short else None,
               "long_top1": long[0] if long else None, "long_epochs": opts.long_epochs, "complete": complete,
               "runs": rows, "floors_met": ok if floors_apply else None}
    write_result(opts.json, "train_accuracy", summary)
    return summary


def child(opts: argparse.Namespace) -> int:
    extra = json.loads(opts.extra)
    fn = run_ultralytics if opts.tool == "ultralytics" else run_yolocls
    r = fn(opts.data, opts.seed, opts.epochs, extra)
    print("RESULT " + json.dumps(r), flush=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0,1,2", help="seeds of the short runs")
    ap.add_argument("--epochs", type=int, default=10, help="epochs of the short runs")
    ap.add_argument("--long-epochs", type=int, default=30, help="epochs of the long run (0: skip it)")
    ap.add_argument("--long-seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra training argument")
    ap.add_argument("--data", default=None, help="dataset (default: the plain-folder digits copy)")
    ap.add_argument("--tool", choices=("yolocls", "ultralytics"), default="yolocls")
    ap.add_argument("--python", default=sys.executable, help="interpreter of the runs (Ultralytics' venv)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "train_accuracy.json")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--extra", default="{}", help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.one:
        return child(opts)

    extra = {}
    for kv in opts.set:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            ap.error(f"--set {kv!r}: write KEY=VALUE, e.g. --set warmup_epochs=1")
        extra[k] = parse_value(v)
    data = opts.data or str(plain_digits())
    seeds = [int(s) for s in opts.seeds.split(",") if s.strip()]
    plan = [(s, opts.epochs) for s in seeds] + ([(opts.long_seed, opts.long_epochs)] if opts.long_epochs else [])
    n_train = sum(1 for p in (Path(data) / "train").rglob("*") if p.is_file()) if Path(data).is_dir() else None
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if opts.tool == "ultralytics":
        env["YOLO_OFFLINE"] = "1"
        env["PYTHONPATH"] = ""  # Ultralytics' own venv: nothing of ours on its path
    rows = []
    for seed, epochs in plan:
        cmd = [opts.python, __file__, "--one", "--tool", opts.tool, "--data", data, "--seed", str(seed),
               "--epochs", str(epochs), "--extra", json.dumps(extra)]
        load0 = os.getloadavg()[0]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if out.returncode != 0 or line is None:
            sys.stderr.write(out.stdout[-4000:] + out.stderr[-4000:])
            print(f"seed {seed}, {epochs} epochs: run failed (exit {out.returncode})")
            return 2
        r = json.loads(line[len("RESULT "):])
        r.update(seed=seed, epochs=epochs, load_before=load0, load_after=os.getloadavg()[0],
                 ips=(epochs * n_train / r["wall"]) if n_train else None)
        rows.append(r)
        print(f"{opts.tool:11s} seed {seed}  epochs {epochs:3d}  top1 {r['top1']:.4f}  top5 {r['top5']:.4f}  "
              + (f"{r['ips']:.0f} images/s end to end  " if r["ips"] else "")
              + f"({r['wall']:.1f} s, {r['threads']} threads, load {load0:.1f}/{r['load_after']:.1f})  "
              f"curve {' '.join(f'{x:.3f}' for x in r['curve'])}", flush=True)
        write_summary(opts, seeds, extra, data, rows, complete=len(rows) == len(plan))

    summary = write_summary(opts, seeds, extra, data, rows, complete=True)
    mean, long = summary["mean_top1"], summary["long_top1"]
    print(f"\n{opts.tool}: {BASE['model']} imgsz={BASE['imgsz']} batch={BASE['batch']} on {data}"
          + (f", extra {extra}" if extra else ""))
    if mean is not None:
        print(f"mean top1 at {opts.epochs} epochs over seeds {seeds}: {mean:.4f} (min {summary['min_top1']:.4f})")
    if long is not None:
        print(f"seed {opts.long_seed} at {opts.long_epochs} epochs: {long:.4f}")
    if summary["floors_met"] is not None:
        print(f"floors (mean >= {MEAN_FLOOR}, each >= {SEED_FLOOR}, 30 epochs >= {LONG_FLOOR}):",
              "met" if summary["floors_met"] else "NOT met")
    print(f"JSON: {opts.json}")
    return 1 if summary["floors_met"] is False else 0


if __name__ == "__main__":
    sys.exit(main())
