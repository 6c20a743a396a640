"""One format's measurements, in a fresh process: load the artifact through its runtime, validate it on the
val split, compare with the reference, time it, and report peak memory.

Run as `python -m yolocls.bench.child JOB.json`; writes the JSON file named by job['result']. Imports only
NumPy, Pillow and the runtime registry up front (the runtime imports its own backend), so start-up and memory
are the artifact's own. Val, parity and timing share the one loaded runtime.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import status_of

VAL_CHUNK = 32  # val batches (a static-batch artifact splits them further itself)
BLOCK_IMAGES = 4  # val images whose block outputs the reference saves, to say where a failing artifact diverges


def peak_rss_mb() -> float:
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def one_line(e: BaseException, limit: int = 240) -> str:
    msg = str(e).strip().splitlines()
    text = f"{type(e).__name__}: {msg[0]}" if msg else type(e).__name__
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def predict_all(rt: Any, x: np.ndarray) -> np.ndarray:
    """Probabilities for all of `x`, VAL_CHUNK images per call. The last chunk is padded to the same shape:
    a new input shape costs some runtimes a re-specialisation (TorchScript's profiling executor, OpenVINO)."""
    out = []
    for i in range(0, len(x), VAL_CHUNK):
        chunk = np.asarray(x[i:i + VAL_CHUNK], dtype=np.float32)
        n = len(chunk)
        if n < VAL_CHUNK and len(x) > VAL_CHUNK:
            chunk = np.concatenate([chunk, np.zeros((VAL_CHUNK - n, *chunk.shape[1:]), np.float32)])
        out.append(rt.predict(np.ascontiguousarray(chunk))[:n])
    return np.concatenate(out)


def end_to_end(rt: Any, files: list[str], imgsz: int, runs: int) -> dict[str, float]:
    """Per-image predict latency from image files: decode + preprocess + inference + postprocess (top-5)."""
    from ..data.images import load_image
    from ..data.preprocess import preprocess

    def once(path: str) -> None:
        x = preprocess(load_image(path, target=imgsz), imgsz)[None]
        p = rt.predict(x)[0]
        np.argsort(-p)[:5]  # postprocess: the top-5 a caller would read

    for f in files[:3]:  # warm the decoder and the runtime on this path
        once(f)
    ns = []
    for i in range(max(runs, 1)):
        t0 = time.perf_counter_ns()
        once(files[i % len(files)])
        ns.append(time.perf_counter_ns() - t0)
    return {"median_ms": float(np.median(ns) / 1e6), "runs": len(ns)}


def save_reference_blocks(rt: Any, x: np.ndarray, probs: np.ndarray, work: Path) -> None:
    """The reference's top-level block outputs on a few val images (and its block map), for a failing row."""
    entries = [e for e in rt.block_map if e["depth"] == 1]
    blocks = rt.block_outputs(np.asarray(x), [e["name"] for e in entries if not e.get("output")])
    blocks.update({e["name"]: probs for e in entries if e.get("output")})
    np.savez(work / "reference_blocks.npz", **blocks)
    (work / "reference_blocks.json").write_text(json.dumps(entries))


def where_it_diverges(rt: Any, x: np.ndarray, probs: np.ndarray, work: Path) -> str:
    """The first top-level block at which the artifact leaves the reference (yolocls.diagnose.compare), or
    why its blocks cannot be compared; '' when the reference saved none."""
    from ..diagnose.compare import TOLERANCES, compare_blocks, divergence_note

    if not (work / "reference_blocks.json").is_file():
        return ""
    entries = json.loads((work / "reference_blocks.json").read_text())
    why = rt.blocks_reason()
    if why:
        return f"blocks not compared: {why}"
    ref = dict(np.load(work / "reference_blocks.npz"))
    mapped = {e["name"] for e in rt.block_map if e.get("tensor") is not None}
    got = rt.block_outputs(x, [e["name"] for e in entries if e["name"] in mapped])
    got.update({e["name"]: probs[:len(x)] for e in entries if e.get("output")})
    rows = compare_blocks(entries, ref, got, TOLERANCES.get(rt.precision, TOLERANCES["fp32"]))
    return divergence_note(rows) + " (yolocls diff shows every block)"


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Everything one row needs from the runtime; raises on the first thing that does not work."""
    from ..engine.metrics import topk_accuracy
    from ..runtimes import load_runtime
    from . import timing
    from .parity import Tolerance, compare

    out: dict[str, Any] = {}
    phases: dict[str, float] = {}  # seconds per step: where a slow row spends its time
    out["phases"] = phases
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        phases[name] = round(now - clock[0], 3)
        clock[0] = now

    rt = load_runtime(job["artifact"], device=job["device"], fmt=job["format"], threads=job.get("threads"))
    lap("load")
    try:
        out["load_s"] = phases["load"]
        out["precision"] = rt.precision
        out["runtime_version"] = rt.version()
        out["dynamic"] = rt.dynamic
        out["artifact_batch"] = rt.batch
        work = Path(job["work"])
        x = np.load(work / "val_x.npy", mmap_mode="r")
        labels = np.load(work / "val_y.npy")
        probs = predict_all(rt, x)
        if probs.shape[0] != len(x) or not np.all(np.isfinite(probs)):
            raise ValueError(f"runtime returned {probs.shape} outputs (finite: {bool(np.all(np.isfinite(probs)))}) "
                             f"for {len(x)} images")
        if job.get("labels_valid"):
            out["top1"], out["top5"] = topk_accuracy(probs, labels)
        if job.get("reference"):
            np.save(work / "reference.npy", probs)
            try:
                save_reference_blocks(rt, x[:BLOCK_IMAGES], probs[:BLOCK_IMAGES], work)
            except Exception as e:  # the reference row stands; failing rows then cannot say where they diverge
                out["reason"] = f"block outputs not saved: {one_line(e)}"
        else:
            ref = np.load(work / "reference.npy")
            tols = job["tolerances"]
            tol = Tolerance(**tols.get(rt.precision, tols["fp32"]))
            p = compare(probs, ref, labels if job.get("labels_valid") else None, precision=rt.precision,
                        fmt=job["format"], tolerance=tol)
            if not p.passed:  # say where it leaves the reference, as `yolocls diff` would
                try:
                    where = where_it_diverges(rt, np.asarray(x[:BLOCK_IMAGES]), probs, work)
                except Exception as e:  # the row's parity figures stand; only the pointer is missing
                    where = f"blocks not compared: {one_line(e)}"
                p.failures = (*p.failures, *filter(None, [where]))
            out["parity"] = {**p.to_dict(), "tolerance": tol.__dict__}
        lap("val+parity")
        x1 = np.ascontiguousarray(x[:1])
        lat = timing.latency(lambda: rt.predict(x1), job.get("runs"), int(job.get("warmup", 10)))
        out["latency"] = lat.to_dict()
        lap("latency")
        out["throughput"] = {}
        for b in job["batches"]:
            if b == 1:  # back-to-back batch-1 calls were just timed: images/s is 1 / mean latency
                out["throughput"]["1"] = 1e3 / lat.mean_ms
                continue
            xb = np.ascontiguousarray(np.resize(np.asarray(x[:b]), (b, *x.shape[1:])))  # repeats images when val < b
            out["throughput"][str(b)] = timing.throughput(lambda xb=xb: rt.predict(xb), b, job.get("runs"))
        lap("throughput")
        files = job.get("files") or []
        if files:
            runs = min(lat.runs, max(timing.MIN_RUNS, len(files)))
            out["e2e"] = end_to_end(rt, files, int(job["imgsz"]), runs)
            lap("e2e")
    finally:
        rt.close()  # the child ends with os._exit: nothing else would stop a runtime's helper process
    return out


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """measure() with errors turned into a status and a one-line reason."""
    t0 = time.perf_counter()
    try:
        out = {"status": "ok", **measure(job)}
    except Exception as e:  # one row's failure is data, not a crash of the bench
        out = {"status": status_of(e), "reason": one_line(e)}
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _torch_threads(job: dict[str, Any]) -> None:
    """In a child forked from the torch fork server: torch is already imported there, so OMP_NUM_THREADS can no
    longer take effect; set the job's thread count directly."""
    if job.get("threads"):
        import torch

        torch.set_num_threads(int(job["threads"]))


def reference_job(job: dict[str, Any]) -> dict[str, Any]:
    """run_job for the reference checkpoint, in a child forked from the torch fork server."""
    _torch_threads(job)
    return run_job(job)


def torch_runtime_job(job: dict[str, Any]) -> dict[str, Any]:
    """run_job for an artifact whose runtime's backend is torch (TorchScript, ExecuTorch), in a child forked from
    the torch fork server, as the reference: torch is imported there once for the run. What the backend imports
    beyond it is timed apart (`import_s`), as in a zygote."""
    from .._backends import gc_paused
    from ..runtimes import get_runtime

    _torch_threads(job)
    t0 = time.perf_counter()
    try:
        with gc_paused():
            get_runtime(job["format"]).import_backend()
    except Exception:  # the row's own load reports it (a missing package names its extra)
        pass
    import_s = round(time.perf_counter() - t0, 3)
    return {**run_job(job), "import_s": import_s}


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    sys.path += [p for p in job.get("sys_path") or [] if p not in sys.path]  # see the parent's plugins
    from .isolation import write_result

    write_result(Path(job["result"]), run_job(job))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the result is on disk; skip interpreter teardown (TensorFlow's alone takes ~3 s here)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
