"""Bench wall time, yolocls beside Ultralytics: `yolocls-bench --format all` and Ultralytics' `benchmark()` on one
checkpoint and one dataset, each in a fresh process, alternating (A B A B), medians.

Run: cpu-exclusive .venv/bin/python benchmarks/bench_time.py [--model PT] [--imgsz 32] [--reps 2]
     [--ul-python /work/ulvenv/bin/python] [--before VARIANT ...] [--demo] [--out benchmarks/results/bench_time.json]
(A script, not a test. Both tools get the same digits ImageFolder (written into a temp folder). Ultralytics runs
with YOLO_OFFLINE=1 and never becomes a dependency of yolocls; `--before` (repeatable) times another checkout or
this one with an environment variable set; `--demo` times the demo command, `yolocls-bench --device cpu --check`.)
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

FIXTURE = Path(__file__).resolve().parents[1] / "../shared/fixtures/ultralytics/yolov8n-cls-digits.pt"

UL_CODE = """
import json, sys
from ultralytics.utils.benchmarks import benchmark
df = benchmark(model=sys.argv[1], data=sys.argv[2], imgsz=int(sys.argv[3]), device="cpu")
rows = df.to_dicts()
print("RESULT " + json.dumps({"rows": len(rows), "ok": sum(1 for r in rows if "✅" in str(r.get("Status❔", r.get("Status", ""))))}))
"""


def cpu_times() -> dict[str, float] | None:
    """Seconds this machine's cores have spent so far (yolocls._cpu.machine_cpu_times): busy (user, nice,
    system, irq, softirq), idle, iowait, and steal (taken by the hypervisor); None without /proc/stat. Over a
    run, busy is the work it took, which this noisy machine inflates much less than wall time (nothing else
    runs under cpu-exclusive); steal and idle say where the rest of the wall time went."""
    from yolocls._cpu import machine_cpu_times

    t = machine_cpu_times()
    if t is None:
        return None
    busy = sum(t[k] for k in ("user", "nice", "system", "irq", "softirq"))
    return {"busy": busy, "idle": t["idle"], "iowait": t["iowait"], "steal": t["steal"]}


def run_once(tool: str, python: str, model: Path, data: Path, imgsz: int, tmp: Path,
             demo: bool = False) -> dict[str, float]:
    """One whole process of `tool`; `demo`: yolocls runs `yolocls-bench --device cpu --check` (the demo)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-time-", dir=tmp))
    pt = folder / model.name
    shutil.copy(model, pt)
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    if tool == "ultralytics":
        env.pop("PYTHONPATH", None)
        env["YOLO_CONFIG_DIR"] = str(folder)
        cmd = [python, "-c", UL_CODE, str(pt), str(data), str(imgsz)]
    else:
        if "@" in tool:  # yolocls@CHECKOUT: another checkout; yolocls@lanes=N: this one, N export lanes;
            where = tool.split("@", 1)[1]  # yolocls@VAR=VALUE: this one with an environment variable set
            if where.startswith("lanes="):
                env["YOLOCLS_BENCH_EXPORT_LANES"] = where[len("lanes="):]
            elif "=" in where:
                key, value = where.split("=", 1)
                env[key] = value
            else:
                env["PYTHONPATH"] = where
        cmd = [python, "-c", "import sys; from yolocls.cli import bench_main; sys.exit(bench_main())"]
        if demo:  # issue 20's command: the built-in demo model and data, every format, the parity gate
            cmd += ["--device", "cpu", "--check", "--out", str(folder / "reports")]
        else:
            cmd += ["--model", str(pt), "--data", str(data), "--imgsz", str(imgsz), "--format", "all",
                    "--out", str(folder / "reports")]
    cpu0, t0 = cpu_times(), time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=folder, timeout=1800)
    wall, cpu1 = time.perf_counter() - t0, cpu_times()
    cpu = {f"{k}_cpu_s": round(cpu1[k] - cpu0[k], 1) for k in cpu0} if cpu0 and cpu1 else {}
    if out.returncode:
        raise SystemExit(f"{tool} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    if tool == "ultralytics":
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
        r = json.loads(line[len("RESULT "):])
    else:
        report = json.loads(next((folder / "reports").glob("*.json")).read_text())
        rows = report["rows"]
        r = {"rows": len(rows), "ok": sum(1 for x in rows if x["status"] == "ok"), "bench_wall_s": report["wall_s"],
             "timeline": report.get("timeline"),
             "export_s_sum": round(sum(x.get("export_s") or 0 for x in rows), 2),
             "recommended": (report.get("recommended") or {}).get("format"),
             "per_row": {x["format"]: {"status": x["status"], "export_s": x.get("export_s"),
                                       "row_s": x.get("seconds"), "phases": x.get("phases")} for x in rows}}
    shutil.rmtree(folder, ignore_errors=True)
    return {"process_s": round(wall, 2), **cpu, **r}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=FIXTURE.resolve())
    ap.add_argument("--imgsz", type=int, default=32)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--ul-python", default="/work/ulvenv/bin/python")
    ap.add_argument("--before", action="append", default=[], help="another yolocls checkout to time alongside (before/after), "
                                                  "lanes=N: this checkout with N export lanes, or VAR=VALUE: this "
                                                  "checkout with an environment variable set")
    ap.add_argument("--no-ultralytics", action="store_true", help="time only the yolocls variants")
    ap.add_argument("--demo", action="store_true", help="yolocls runs the demo, `yolocls-bench --device cpu --check` "
                                                       "(Ultralytics still benchmarks the model given)")
    ap.add_argument("--out", default=None, help="JSON to write (default: print only)")
    a = ap.parse_args()
    from yolocls.data.digits import write_digits

    tools = {"yolocls": sys.executable}
    for variant in a.before:  # repeatable: every variant runs in each repetition
        tools[f"yolocls@{variant}"] = sys.executable
    if a.no_ultralytics:
        a.ul_python = None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if a.ul_python and subprocess.run([a.ul_python, "-c", "import ultralytics"], env=env,
                                      capture_output=True).returncode == 0:
        tools["ultralytics"] = a.ul_python
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    with tempfile.TemporaryDirectory(prefix="bench-time-") as tmp:
        data = write_digits(Path(tmp) / "digits")
        for _ in range(a.reps):  # A B A B
            for tool, python in tools.items():
                runs[tool].append(run_once(tool, python, a.model, data, a.imgsz, Path(tmp), a.demo))
                print(tool, runs[tool][-1], flush=True)
    summary = {t: {"process_s": statistics.median(r["process_s"] for r in rs),
                   "busy_cpu_s": statistics.median(r.get("busy_cpu_s") or 0.0 for r in rs), "rows": rs[-1]["rows"],
                   "ok": rs[-1]["ok"]} for t, rs in runs.items()}
    if "ultralytics" in summary:
        for t in tools:
            if t != "ultralytics":
                summary[t]["ratio_to_ultralytics"] = round(summary[t]["process_s"]
                                                           / summary["ultralytics"]["process_s"], 3)
    print(json.dumps(summary, indent=2))
    if a.out:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from results import write_result

        write_result(a.out, "bench_time", {"model": a.model.name, "imgsz": a.imgsz, "reps": a.reps, "demo": a.demo,
                                           "median": summary, "runs": runs})


if __name__ == "__main__":
    main()
