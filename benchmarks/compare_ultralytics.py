"""yolocls against Ultralytics where users wait, side by side in one run, alternating the two tools.

    python benchmarks/compare_ultralytics.py [--ul-python /work/ulvenv/bin/python] [--reps 2]
        [--rows predict-jpg,predict-png,export,ort,bench,train] [--images 200] [--out DIR]

Rows (`--rows`, a comma list; `predict` = both predict rows; each timed in a fresh process per tool and
repetition, the order of the tools alternating, A B then B A; medians are reported):
- `predict-jpg`: images/s of `YOLO(m).predict(folder, stream=True, imgsz=224)` over 640x480 JPEGs, for the
  `.pt` and for each tool's own `.onnx` (after a warm-up call on 8 other images, so each tool's one-off set-up
  is outside the window; the first call's seconds are reported too). `predict-png`: the same over 224x224 PNGs.
  The checkpoint is a 1000-class yolov8n-cls that Ultralytics builds from its YAML and saves in its own venv
  (random weights: speed only; Ultralytics' own yolov8n-cls.pt cannot be downloaded here); `.onnx` is each
  tool's own export of it.
- `export`: seconds of `YOLO(m).export(format="onnx", imgsz=224)` on that checkpoint (loaded before the clock
  starts; each tool does what its export does: ours includes the load-and-run verification).
- `ort`: plain ONNX Runtime on each tool's ONNX, 224, batch 1, 2 intra-op threads: median ms, both sessions in
  one process, timed in alternating blocks.
- `bench`: process wall seconds of `yolocls-bench format=all` against Ultralytics' `benchmark()` on the
  Ultralytics digits checkpoint (`--digits-model`, default the shared fixture yolov8n-cls-digits.pt) at imgsz 32
  on the digits dataset.
- `train`: yolocls only: training yolov8n-cls on digits (`--train-epochs`, default 10, imgsz 32) with one
  CPU-burning process beside it, with the default threads against the same run with `threads=1` (burner beside
  it too). The floor: the default's time <= 1.2x the one-thread time.

The figures go to `benchmarks/results/compare_ultralytics.json` (`--json`). Skipped (exit 0, one line) when
`ultralytics` is importable neither here nor in `--ul-python` (rows that need it; `train` runs anyway);
Ultralytics is never a yolocls dependency. Its process gets this interpreter's site-packages appended to
`sys.path` (after its own), so both tools run the same onnx/onnxruntime versions where it lacks them;
`YOLO_OFFLINE=1` is set. Wrap the run in `cpu-exclusive` on a shared machine; compare only figures of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared" / "fixtures" / "ultralytics" / "yolov8n-cls-digits.pt"
ROWS = ("predict-jpg", "predict-png", "export", "ort", "bench", "train")
ALIASES = {"predict": ("predict-jpg", "predict-png")}
TOOLS = ("ultralytics", "yolocls")
BURN = "while True:\n    pass\n"
RESULT_JSON = ROOT / "benchmarks" / "results" / "compare_ultralytics.json"


# --- the worker side: runs in the tool's own interpreter, prints one JSON line -------------------------------
def _timed_predict(yolo: Any, folder: str, warm: str, imgsz: int) -> dict[str, float]:
    t0 = time.perf_counter()
    n_warm = sum(1 for _ in yolo.predict(warm, stream=True, imgsz=imgsz, verbose=False))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = sum(1 for _ in yolo.predict(folder, stream=True, imgsz=imgsz, verbose=False))
    wall = time.perf_counter() - t0
    return {"images": n, "seconds": wall, "images_per_s": n / wall, "first_call_s": first, "warm_images": n_warm}


def worker(tool: str, task: str, job: dict[str, Any]) -> dict[str, Any]:
    if tool == "ultralytics":
        sys.path += [p for p in job.get("extra_site", []) if p not in sys.path]
        from ultralytics import YOLO
    else:
        from yolocls import YOLO
    if task == "predict":
        return _timed_predict(YOLO(job["model"]), job["source"], job["warm"], job["imgsz"])
    if task == "export":
        model = YOLO(job["model"])
        t0 = time.perf_counter()
        path = model.export(format="onnx", imgsz=job["imgsz"])
        return {"seconds": time.perf_counter() - t0, "path": str(path)}
    if task == "save-yaml-model":  # Ultralytics builds the 1000-class yolov8n-cls from its YAML and saves it
        YOLO("yolov8n-cls.yaml").save(job["out"])
        return {"path": job["out"]}
    if task == "bench":
        t0 = time.perf_counter()
        if tool == "ultralytics":
            from ultralytics.utils.benchmarks import benchmark

            df = benchmark(model=job["model"], data=job["data"], imgsz=job["imgsz"], device="cpu")
            rows = int(sum(1 for s in df["Status"] if "✅" in str(s)))
        else:
            from yolocls.cli import main as cli

            code = cli(["bench", f"model={job['model']}", f"data={job['data']}", f"imgsz={job['imgsz']}",
                        "format=all", f"out={job['out']}", "verbose=False"])
            rows = {"exit": code}
            rep = sorted(Path(job["out"]).glob("*.json"))
            if rep:
                rows = sum(1 for r in json.loads(rep[-1].read_text()).get("rows", []) if r.get("status") == "ok")
        return {"seconds": time.perf_counter() - t0, "rows_ran": rows}
    raise SystemExit(f"unknown task {task}")


# --- the driver side ------------------------------------------------------------------------------------------
def find_ultralytics(named: str | None) -> str | None:
    """The interpreter that imports ultralytics: `named`, else this one; None when neither does."""
    for py in ([named] if named else []) + [sys.executable]:
        if not shutil.which(py) and not Path(py).exists():
            continue
        r = subprocess.run([py, "-c", "import ultralytics"], capture_output=True, env=_env("ultralytics"))
        if r.returncode == 0:
            return py
    return None


def _env(tool: str) -> dict[str, str]:
    env = dict(os.environ, YOLO_OFFLINE="1", YOLO_VERBOSE="False")
    if tool == "yolocls":
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    else:
        env.pop("PYTHONPATH", None)  # its own torch and ultralytics first; ours come after (extra_site)
    return env


def run_worker(py: str, tool: str, task: str, job: dict[str, Any], cwd: Path, timeout: float = 1800) -> dict:
    job = {**job, "extra_site": [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]}
    t0 = time.perf_counter()
    p = subprocess.run([py, str(Path(__file__).resolve()), "--worker", tool, task, json.dumps(job)],
                       capture_output=True, text=True, env=_env(tool), cwd=cwd, timeout=timeout)
    wall = time.perf_counter() - t0
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"{tool} {task} failed (exit {p.returncode}): {(p.stderr or p.stdout)[-1500:]}")
    return {**json.loads(lines[-1][7:]), "process_s": wall}


def make_images(folder: Path, n: int, kind: str, seed: int) -> Path:
    """`n` photo-like images: 640x480 JPEGs (quality 90) or 224x224 PNGs, smooth colour fields plus noise."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = (640, 480) if kind == "jpg" else (224, 224)
    for i in range(n):
        coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
        smooth = np.asarray(coarse.resize((w, h), Image.BICUBIC), dtype=np.float32)
        img = Image.fromarray((smooth + rng.normal(0, 8, (h, w, 3))).clip(0, 255).astype(np.uint8))
        img.save(folder / f"img_{i:04d}.{kind}", **({"quality": 90} if kind == "jpg" else {}))
    return folder


def ort_latency(paths: dict[str, str], imgsz: int = 224, blocks: int = 6, calls: int = 100,
                threads: int = 2) -> dict[str, float]:
    """Median ms per call of plain ONNX Runtime sessions (`threads` intra-op threads, otherwise default options)
    on each file, timed in alternating blocks within one process."""
    import numpy as np
    import onnxruntime as ort

    x = np.random.default_rng(0).random((1, 3, imgsz, imgsz), dtype=np.float32)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = {k: ort.InferenceSession(p, so, providers=["CPUExecutionProvider"]) for k, p in paths.items()}
    feeds = {k: {s.get_inputs()[0].name: x} for k, s in sess.items()}
    times: dict[str, list[float]] = {k: [] for k in sess}
    for k, s in sess.items():
        for _ in range(50):
            s.run(None, feeds[k])
    for b in range(blocks):
        for k in (list(sess) if b % 2 == 0 else list(sess)[::-1]):
            s, f = sess[k], feeds[k]
            for _ in range(calls):
                t0 = time.perf_counter_ns()
                s.run(None, f)
                times[k].append((time.perf_counter_ns() - t0) / 1e6)
    return {k: float(np.median(v)) for k, v in times.items()}


def train_with_burner(epochs: int, threads: int | None, work: Path) -> dict[str, Any]:
    """Wall seconds of a yolocls digits training run in a fresh process while one CPU-burning process runs,
    and the threads/workers the run chose."""
    burner = subprocess.Popen([sys.executable, "-c", BURN])
    try:
        time.sleep(1.0)  # the burner is running (and visible in /proc/stat and load averages) before we start
        extra = f", threads={threads}" if threads else ""
        code = (f"import time, torch\nfrom yolocls import YOLO\nt0 = time.perf_counter()\n"
                f"YOLO('yolov8n-cls.yaml').train(data='digits', epochs={epochs}, imgsz=32, batch=64, seed=0, "
                f"project={str(work)!r}, name='t', exist_ok=True, verbose=False, plots=False{extra})\n"
                f"print('RESULT', time.perf_counter() - t0, torch.get_num_threads())\n")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env("yolocls"),
                           cwd=work.parent)
        if p.returncode != 0:
            raise RuntimeError(f"training failed: {p.stderr[-1500:]}")
        secs, used = p.stdout.split("RESULT")[-1].split()[:2]
        return {"seconds": float(secs), "threads": int(used)}
    finally:
        burner.kill()
        burner.wait()


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def parse_rows(text: str) -> list[str]:
    rows: list[str] = []
    for r in (r.strip() for r in text.split(",") if r.strip()):
        for x in ALIASES.get(r, (r,)):
            if x not in ROWS:
                raise SystemExit(f"--rows: unknown row '{r}'; choose from {', '.join((*ROWS, *ALIASES))}")
            if x not in rows:
                rows.append(x)
    return rows


class Table:
    """row -> column -> the values of every repetition; printed as medians with a ratio."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list[float]]] = {}
        self.cols: dict[str, tuple[str, str, bool]] = {}  # row -> (column A, column B, higher is better)

    def add(self, row: str, col: str, value: float, cols: tuple[str, str] = TOOLS, higher: bool = False) -> None:
        self.cols.setdefault(row, (*cols, higher))
        self.rows.setdefault(row, {c: [] for c in cols})[col].append(float(value))

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for row, vals in self.rows.items():
            a, b, higher = self.cols[row]
            ma, mb = median(vals[a]), median(vals[b])
            out.append({"row": row, "a": a, "b": b, "median_a": ma, "median_b": mb,
                        "ratio_b_over_a": (mb / ma) if ma else None, "higher_is_better": higher,
                        "values_a": vals[a], "values_b": vals[b]})
        return out

    def print(self) -> None:
        print(f"\n{'row':<36} {'A':>11} {'B':>11} {'B/A':>6}   (A | B: every repetition)")
        for r in self.summary():
            ratio = f"{r['ratio_b_over_a']:.2f}x" if r["ratio_b_over_a"] else "-"
            print(f"{r['row']:<36} {r['median_a']:>11.3f} {r['median_b']:>11.3f} {ratio:>6}   "
                  f"{r['a']}: {r['values_a']} | {r['b']}: {r['values_b']}")
        print("A = ultralytics, B = yolocls unless the row names its columns; img/s: higher is better, "
              "s and ms: lower is better")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ul-python", "--ultralytics-python", dest="ul_python", default=None,
                    help="interpreter of a venv with ultralytics (default: this one, if it imports ultralytics)")
    ap.add_argument("--reps", type=int, default=2, help="alternating repetitions (medians are reported)")
    ap.add_argument("--rows", default=",".join(ROWS), help=f"comma list of {', '.join((*ROWS, *ALIASES))}")
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--digits-model", default=str(FIXTURE), help="the Ultralytics checkpoint the bench row uses")
    ap.add_argument("--train-epochs", type=int, default=10)
    ap.add_argument("--out", default=None, help="work folder (default: a temp folder, removed)")
    ap.add_argument("--json", default=str(RESULT_JSON), help="where the figures go ('' for nowhere)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print("RESULT " + json.dumps(worker(a.worker[0], a.worker[1], json.loads(a.worker[2]))), flush=True)
        return 0
    rows = parse_rows(a.rows)
    py = find_ultralytics(a.ul_python)
    needs_ul = [r for r in rows if r != "train"]
    if py is None and needs_ul:
        print(f"skipped {', '.join(needs_ul)}: ultralytics is not importable here"
              + (f" nor in {a.ul_python}" if a.ul_python else "; pass --ul-python PATH/TO/venv/bin/python"))
        rows = [r for r in rows if r == "train"]
        if not rows:
            return 0
    work = Path(a.out or tempfile.mkdtemp(prefix="yolocls-vs-ul-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    pys = {"ultralytics": py, "yolocls": sys.executable}
    table = Table()
    ckpt = work / "yolov8n-cls-1000.pt"
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f}; ultralytics: {py}; rows: {', '.join(rows)}",
              flush=True)
        if needs_ul and py and not ckpt.exists():
            run_worker(py, "ultralytics", "save-yaml-model", {"out": str(ckpt)}, work)
        onnx: dict[str, str] = {}
        if {"predict-jpg", "predict-png", "ort"} & set(rows):
            for tool in TOOLS:  # each tool's own ONNX of the same checkpoint (untimed here)
                d = work / f"onnx-{tool}"
                d.mkdir(exist_ok=True)
                shutil.copy(ckpt, d / ckpt.name)
                onnx[tool] = run_worker(pys[tool], tool, "export", {"model": str(d / ckpt.name), "imgsz": 224},
                                        work)["path"]
        kinds = [r.split("-")[1] for r in rows if r.startswith("predict-")]
        src = {k: make_images(work / k, a.images, k, 0) for k in kinds}
        warm = {k: make_images(work / f"warm-{k}", 8, k, 1) for k in kinds}
        for rep in range(a.reps):
            order = TOOLS if rep % 2 == 0 else TOOLS[::-1]
            for kind in kinds:
                for fmt in ("pt", "onnx"):
                    for tool in order:
                        model = str(ckpt) if fmt == "pt" else onnx[tool]
                        r = run_worker(pys[tool], tool, "predict", {"model": model, "source": str(src[kind]),
                                                                     "warm": str(warm[kind]), "imgsz": 224}, work)
                        table.add(f"predict {kind} .{fmt} (img/s)", tool, r["images_per_s"], higher=True)
                        table.add(f"predict {kind} .{fmt} first call (s)", tool, r["first_call_s"])
            if "export" in rows:
                for tool in order:
                    d = work / f"export-{tool}-{rep}"
                    d.mkdir(exist_ok=True)
                    shutil.copy(ckpt, d / ckpt.name)
                    r = run_worker(pys[tool], tool, "export", {"model": str(d / ckpt.name), "imgsz": 224}, work)
                    table.add("export onnx 224 (s)", tool, r["seconds"])
            if "ort" in rows:
                ms = ort_latency({t: onnx[t] for t in order})
                for tool in TOOLS:
                    table.add("plain ORT 224 b1 2 threads (ms)", tool, ms[tool])
            if "bench" in rows:
                for tool in order:
                    d = work / f"bench-{tool}-{rep}"
                    d.mkdir(exist_ok=True)
                    shutil.copy(a.digits_model, d / Path(a.digits_model).name)
                    r = run_worker(pys[tool], tool, "bench", {"model": str(d / Path(a.digits_model).name),
                                                              "data": "digits", "imgsz": 32, "out": str(d / "rep")}, d)
                    table.add("bench all formats (process s)", tool, r["process_s"])
                    if isinstance(r["rows_ran"], int):
                        table.add("bench rows that ran", tool, r["rows_ran"])
            if "train" in rows:
                cols = ("threads=1", "default")
                for threads in ((None, 1) if rep % 2 == 0 else (1, None)):
                    r = train_with_burner(a.train_epochs, threads, work / f"train-{rep}")
                    col = cols[1] if threads is None else cols[0]
                    table.add(f"train {a.train_epochs} ep, 1 core busy (s)", col, r["seconds"], cols)
                    table.add("train: threads it used", col, r["threads"], cols)
            print(f"repetition {rep + 1}/{a.reps} done; load average {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        if not a.out:
            shutil.rmtree(work, ignore_errors=True)
    table.print()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if a.json:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from results import write_result

        path = Path(a.json)
        old = json.loads(path.read_text())["results"] if path.exists() else {}
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        new = {r["row"]: {**r, "measured": when, "reps": a.reps} for r in table.summary()}
        # rows run separately accumulate in one file; each row keeps the figures of the run that last measured it
        keep = {k: v for k, v in (old.get("rows") or {}).items() if k not in new}
        write_result(path, "compare_ultralytics", {"rows": {**keep, **new},
                                                    "checkpoint": "yolov8n-cls.yaml built and saved by Ultralytics "
                                                    "(1000 classes, random weights); bench: " + Path(a.digits_model).name})
        print(f"figures: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
