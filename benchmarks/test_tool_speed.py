"""Speed of the tool itself: `yolocls-bench --model <digits model> --data digits --imgsz 32 --format
torchscript,onnx,openvino` (export, val, parity, timing and reports included) in under 30 s of wall time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

LIMIT_S = 30.0


def test_bench_command_wall_time(benchmark, digits_model, tmp_path):
    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "yolocls", "bench", "--model", str(digits_model), "--data", "digits", "--imgsz", "32",
           "--format", "torchscript,onnx,openvino", "--out", str(tmp_path)]

    def once() -> float:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return time.perf_counter() - t0

    wall = benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info["wall_s"] = wall
    print(f"\nyolocls-bench wall time: {wall:.1f} s")
    assert wall < LIMIT_S
