"""A hand-made bench report for the report, comparison and HTML tests."""

from __future__ import annotations

from yolocls.bench.rows import BenchReport, Row, evaluate_gate


def make_row(fmt, status="ok", passed=True, ms=1.0, top1=0.95, size=5.0, **kw):
    lat = {"median_ms": ms, "p90_ms": ms * 1.1, "p99_ms": ms * 1.3, "mean_ms": ms, "min_ms": ms * 0.9, "runs": 20}
    ran = status == "ok"
    return Row(format=fmt, title=fmt.upper(), status=status, precision="fp32" if ran else None,
               top1=top1 if ran else None, top5=1.0 if ran else None, agreement=1.0 if ran else None,
               max_abs=1e-6 if ran else None, mean_abs=1e-8 if ran else None, parity_passed=passed if ran else None,
               latency=lat if ran else None, throughput={"1": 1000 / ms, "8": 8000 / ms} if ran else {},
               e2e_ms=ms * 2 if ran else None, peak_rss_mb=100.0 if ran else None, size_mb=size, **kw)


def fake_report() -> BenchReport:
    """Six hand-made rows: the reference, a pass, a parity failure, unavailable, missing and failed."""
    rows = [make_row("pt", reference=True, ms=3.0), make_row("alpha", ms=0.5, size=2.0),
            make_row("beta", passed=False, ms=1.5, top1=0.90, parity_failures=["max |dp| 0.03 > 0.0001"]),
            make_row("gamma", status="unavailable", reason="exported, not run: its runtime runs only on macOS"),
            make_row("delta", status="missing", reason="format 'delta' needs deltart, which is not installed"),
            make_row("eps", status="failed", reason="runtime crashed (SIGSEGV)")]
    return BenchReport(rows=rows, settings={"model": "m.pt", "model_name": "yolov8n-cls", "data": "digits",
                                            "val_images": 359, "imgsz": 32, "device": "cpu", "batch": [1, 8],
                                            "runs": 20, "warmup": 2, "threads": None},
                       environment={"cpu": "Test CPU", "cores": 2, "python": "3.11", "runtimes": {"alpha": "1.0"}},
                       gate=evaluate_gate(rows), name="bench_m-yolov8n-cls_32px_20260101-120000",
                       created="2026-01-01T12:00:00+00:00", wall_s=12.5)
