"""Our fp32 ONNX beside Ultralytics' under the same ONNX Runtime, and each candidate rewrite or session setting,
batch 1: the variants alternate round by round (A B C A B C ...), medians over the rounds.

Run: cpu-exclusive .venv/bin/python benchmarks/onnx_runtime_speed.py --ul-onnx UL.onnx [--model PT]
     [--imgsz 224] [--rounds 4] [--runs 200] [--out benchmarks/results/onnx_runtime_speed.json]
(A script, not a test. `--ul-onnx` is Ultralytics' export of the same checkpoint, made in its own venv:
`YOLO_OFFLINE=1 python -c "from ultralytics import YOLO; YOLO('m.pt').export(format='onnx', imgsz=224)"`.
Every variant is checked against our plain session's probabilities (max |dp| reported) before it is timed.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).resolve().parents[1] / "../shared/fixtures/ultralytics/yolov8n-cls-digits.pt"


def session(path: Path, **opts):
    import onnxruntime as ort

    so = ort.SessionOptions()
    for k, v in opts.items():
        if k.startswith("config:"):
            so.add_session_config_entry(k[len("config:"):], str(v))
        elif k == "graph_optimization_level":
            so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, v)
        else:
            setattr(so, k, v)
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def offline_optimized(src: Path, dest: Path, level: str) -> Path:
    """The graph as ONNX Runtime rewrites it at `level`, saved (a rewrite done once at export, not per load)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    so.optimized_model_filepath = str(dest)
    ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
    return dest


def time_once(sess, x: np.ndarray, runs: int) -> float:
    name = sess.get_inputs()[0].name
    feed = {name: x}
    for _ in range(20):
        sess.run(None, feed)
    ns = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        sess.run(None, feed)
        ns.append(time.perf_counter_ns() - t)
    return statistics.median(ns) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=FIXTURE.resolve())
    ap.add_argument("--ul-onnx", type=Path, required=True)
    ap.add_argument("--imgsz", type=int, default=224)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    from yolocls import YOLO

    with tempfile.TemporaryDirectory(prefix="onnx-speed-") as tmp:
        pt = Path(tmp) / a.model.name
        pt.write_bytes(a.model.read_bytes())
        ours = Path(YOLO(str(pt)).export(format="onnx", imgsz=a.imgsz))
        ext = offline_optimized(ours, Path(tmp) / "ours_extended.onnx", "ORT_ENABLE_EXTENDED")
        full = offline_optimized(ours, Path(tmp) / "ours_all.onnx", "ORT_ENABLE_ALL")  # tied to this CPU
        variants = {
            "ultralytics onnx, default session": lambda: session(a.ul_onnx),
            "ours, default session": lambda: session(ours),
            "ours, intra_op_num_threads=cores": lambda: session(ours, intra_op_num_threads=_cores()),
            "ours, no spinning": lambda: session(ours, **{"config:session.intra_op.allow_spinning": "0"}),
            "ours, enable_mem_pattern=False": lambda: session(ours, enable_mem_pattern=False),
            "ours, level EXTENDED (no NCHWc layout)": lambda: session(
                ours, graph_optimization_level="ORT_ENABLE_EXTENDED"),
            "ours, pre-optimised at EXTENDED": lambda: session(ext),
            "ours, pre-optimised at ALL (this CPU only)": lambda: session(full),
        }
        x = np.random.default_rng(0).random((1, 3, a.imgsz, a.imgsz), dtype=np.float32)
        sessions = {k: make() for k, make in variants.items()}
        ref = sessions["ours, default session"].run(None, {"images": x})[0]
        dp = {k: float(np.abs(s.run(None, {s.get_inputs()[0].name: x})[0] - ref).max()) for k, s in sessions.items()}
        times: dict[str, list[float]] = {k: [] for k in sessions}
        for _ in range(a.rounds):  # alternate: every variant once per round
            for k, s in sessions.items():
                times[k].append(time_once(s, x, a.runs))
    base = statistics.median(times["ultralytics onnx, default session"])
    rows = {k: {"median_ms": round(statistics.median(v), 4), "rounds_ms": [round(t, 4) for t in v],
                "ratio_to_ultralytics": round(statistics.median(v) / base, 3), "max_abs_dp_vs_ours": dp[k]}
            for k, v in times.items()}
    print(json.dumps(rows, indent=2))
    if a.out:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from results import write_result

        write_result(a.out, "onnx_runtime_speed", {"model": a.model.name, "imgsz": a.imgsz, "rounds": a.rounds,
                                                   "runs": a.runs, "variants": rows}, modules=["onnxruntime"])


def _cores() -> int:
    from yolocls.bench.environment import usable_cores

    return usable_cores()


if __name__ == "__main__":
    main()
