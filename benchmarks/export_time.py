"""Export time per format, yolocls beside Ultralytics: `export(format=FMT, imgsz=...)` on one checkpoint, each
export in a fresh process (what a user waits for: the import, the checkpoint load and the export call with its
verification run), alternating the tools (A B A B), medians.

Run: cpu-exclusive .venv/bin/python benchmarks/export_time.py [--format onnx[,coreml,...]] [--model PT]
     [--imgsz 224] [--reps 3] [--ul-python /work/ulvenv/bin/python] [--before OTHER_CHECKOUT]
     [--out benchmarks/results/export_time.json [--merge]]
(A script, not a test. Without `--ul-python`, or when that interpreter cannot import ultralytics, only yolocls
is measured; Ultralytics is timed only for the formats it exports (ULTRALYTICS_FORMATS). Ultralytics runs with
YOLO_OFFLINE=1 and never becomes a dependency of yolocls. `--before` times another yolocls checkout alongside,
for a before/after comparison in the same run.)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "../shared/fixtures/ultralytics/yolov8n-cls-digits.pt"

# Each child prints one JSON line: seconds to import the tool, load the checkpoint and run export().
CHILD = {
    "yolocls": "from yolocls import YOLO",
    "ultralytics": "from ultralytics import YOLO",
}
# Ultralytics' names for the formats both tools export (litert is yolocls' second name for tflite).
ULTRALYTICS_FORMATS = ("torchscript", "onnx", "openvino", "coreml", "saved_model", "pb", "tflite", "paddle", "ncnn",
                       "mnn", "executorch", "tfjs", "edgetpu", "engine")
BODY = """
import json, sys, time
t0 = time.perf_counter()
{import_line}
t1 = time.perf_counter()
m = YOLO(sys.argv[1])
t2 = time.perf_counter()
path = m.export(format=sys.argv[3], imgsz=int(sys.argv[2]))
t3 = time.perf_counter()
print("RESULT " + json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1, "export_s": t3 - t2, "path": str(path)}}))
"""


def artifact_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def run_once(tool: str, python: str, model: Path, imgsz: int, fmt: str = "onnx") -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"export-time-{tool.split('@')[0]}-") as tmp:
        pt = Path(tmp) / model.name  # both tools write the artifact beside the checkpoint
        shutil.copy(model, pt)
        env = {**os.environ, "YOLO_OFFLINE": "1"}
        if tool == "ultralytics":
            env.pop("PYTHONPATH", None)
            env["YOLO_CONFIG_DIR"] = tmp
        elif tool.startswith("yolocls@"):  # another checkout of yolocls (a before/after comparison)
            env["PYTHONPATH"] = tool.split("@", 1)[1]
        else:  # this checkout's yolocls, not the one the venv's editable install points at
            env["PYTHONPATH"] = str(ROOT)
        code = BODY.format(import_line=CHILD[tool.split("@")[0]])
        import time

        t0 = time.perf_counter()
        out = subprocess.run([python, "-c", code, str(pt), str(imgsz), fmt], capture_output=True, text=True, env=env,
                             cwd=tmp, timeout=600)
        wall = time.perf_counter() - t0
        line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
        if out.returncode or line is None:
            raise RuntimeError(f"{tool} {fmt} export failed (exit {out.returncode}): "
                               f"{(out.stderr.strip().splitlines() or ['?'])[-1][:300]}")
        r = json.loads(line[len("RESULT "):])
        r["process_s"] = wall
        r["size_bytes"] = artifact_bytes(Path(r.pop("path")))
        return r


def can_import(python: str, module: str) -> bool:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True, env=env).returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", default="onnx", help="format(s) to time, comma-separated")
    ap.add_argument("--model", type=Path, default=FIXTURE.resolve())
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--ul-python", default="/work/ulvenv/bin/python")
    ap.add_argument("--before", default=None, help="another yolocls checkout to time alongside (before/after)")
    ap.add_argument("--out", default=None, help="JSON to write (default: print only)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the formats an existing --out holds and this run does not time (same model, imgsz)")
    a = ap.parse_args()
    sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]  # this checkout's yolocls (and its commit)
    from yolocls.bench.environment import git_commit

    tools = {"yolocls": sys.executable}
    if a.before:
        tools[f"yolocls@{a.before}"] = sys.executable
    if a.ul_python and can_import(a.ul_python, "ultralytics"):
        tools["ultralytics"] = a.ul_python
    keys = ("import_s", "load_s", "export_s", "process_s")
    commit = git_commit(ROOT)  # what the 'yolocls' rows measured
    results = {}
    for fmt in [f.strip() for f in a.format.split(",") if f.strip()]:
        these = {t: p for t, p in tools.items() if t != "ultralytics" or fmt in ULTRALYTICS_FORMATS}
        runs: dict[str, list[dict[str, float]]] = {t: [] for t in these}
        failed: dict[str, str] = {}
        for _ in range(a.reps):  # A B A B
            for tool, python in these.items():
                if tool in failed:
                    continue
                try:
                    runs[tool].append(run_once(tool, python, a.model, a.imgsz, fmt))
                except RuntimeError as e:  # one tool failing a format does not stop the others
                    failed[tool] = str(e)
                    print(fmt, tool, "FAILED:", e, flush=True)
                    continue
                print(fmt, tool, {k: round(v, 3) for k, v in runs[tool][-1].items()}, flush=True)
        summary = {t: {k: round(statistics.median(r[k] for r in rs), 3) for k in keys}
                   for t, rs in runs.items() if t not in failed}
        for other in [t for t in summary if t != "yolocls" and "yolocls" in summary]:
            summary[f"ratio_to_{other.split('@')[0] if other == 'ultralytics' else 'before'}"] = {
                k: round(summary["yolocls"][k] / summary[other][k], 3) for k in keys}
        print(fmt, json.dumps(summary, indent=2), flush=True)
        results[fmt] = {"median": summary, "runs": runs, **({"failed": failed} if failed else {}),
                        "measured": {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit,
                                     "command": "python " + shlex.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}}
    if a.out:
        from results import write_result

        if a.merge and Path(a.out).is_file():  # each format keeps the date and command it was measured with
            old = json.loads(Path(a.out).read_text())["results"]
            if (old.get("model"), old.get("imgsz")) != (a.model.name, a.imgsz):
                raise SystemExit(f"--merge: {a.out} holds {old.get('model')} at {old.get('imgsz')} px, not "
                                 f"{a.model.name} at {a.imgsz} px")
            results = {**old.get("formats", {}), **results}
        write_result(a.out, "export_time", {"model": a.model.name, "imgsz": a.imgsz, "reps": a.reps,
                                            "formats": results},
                     modules=["torch", "onnx", "onnxruntime", "onnxslim", "coremltools", "executorch", "openvino"])


if __name__ == "__main__":
    main()
