"""The harness adds nothing to what it times: the bench's ONNX row (batch-1 median, yolov8n-cls at 224) is
within 10% of a plain onnxruntime loop over the same file with the same threads."""

from __future__ import annotations

import statistics
import time

import numpy as np

THREADS = 2
RUNS, WARMUP = 100, 10


def plain_ort_median_ms(path, x, threads: int) -> float:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for _ in range(50 + WARMUP):  # same pre-pass and warm-up as the bench
        sess.run(None, {name: x})
    t = []
    for _ in range(RUNS):
        t0 = time.perf_counter_ns()
        sess.run(None, {name: x})
        t.append(time.perf_counter_ns() - t0)
    return statistics.median(t) / 1e6


def test_onnx_row_matches_a_plain_onnxruntime_loop(benchmark, yolov8n_224):
    from yolocls import YOLO
    from yolocls.bench import benchmark as bench

    path = YOLO(yolov8n_224).export(format="onnx")
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)

    def bench_median() -> float:
        rep = bench(model=yolov8n_224, data="digits", formats="onnx", artifacts={"onnx": path}, imgsz=224,
                    runs=RUNS, warmup=WARMUP, threads=THREADS, out=None, verbose=False)
        return rep.rows[1].latency["median_ms"]

    # Interleave the two, so a change in the machine's load hits both alike.
    plain = [plain_ort_median_ms(path, x, THREADS)]
    harness = [bench_median()]
    plain.append(plain_ort_median_ms(path, x, THREADS))
    harness.append(bench_median())
    p, h = min(plain), min(harness)
    benchmark.extra_info.update(plain_ms=plain, harness_ms=harness)
    benchmark.pedantic(lambda: None, rounds=1)
    print(f"\nplain onnxruntime median {plain} ms, bench ONNX row median {harness} ms: ratio {h / p:.3f}")
    assert abs(h - p) / p <= 0.10, f"bench ONNX row {h:.3f} ms vs plain loop {p:.3f} ms"
