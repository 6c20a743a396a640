"""The PyTorch side of the bench, run in children forked from the torch fork server (see isolation.py):
read the reference checkpoint, and export it to one format."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ..errors import status_of
from .child import one_line


def _extend_path(job: dict[str, Any]) -> None:
    sys.path += [p for p in job.get("sys_path") or [] if p not in sys.path]  # see the parent's plugins


def _model_label(ckpt: dict[str, Any]) -> str:
    """`yolov8n-cls` from the checkpoint's model config."""
    return Path(str((ckpt.get("yaml") or {}).get("yaml_file") or "model")).stem


def inspect_job(job: dict[str, Any]) -> dict[str, Any]:
    """The reference checkpoint: names, imgsz, training data, model name, hash. A model YAML (untrained) is
    built and saved into the work folder first, so it can be benchmarked like a checkpoint."""
    _extend_path(job)
    from ..models import ClassificationModel, checkpoint_from_model, load_checkpoint, save_checkpoint
    from ..models.checkpoint import file_sha256

    try:
        src = str(job["model"])
        path = Path(src)
        if src.endswith((".yaml", ".yml")) or (not path.suffix and not path.exists()):
            import torch

            torch.manual_seed(0)
            model = ClassificationModel(src if src.endswith((".yaml", ".yml")) else f"{src}.yaml").eval()
            model.imgsz = int(job.get("imgsz") or 224)
            model.args = {}
            path = save_checkpoint(checkpoint_from_model(model), Path(job["work"]) / f"{path.stem}.pt")
        ckpt = load_checkpoint(path)
        args = ckpt.get("train_args") or {}
        return {"status": "ok", "checkpoint": str(path), "names": {int(k): str(v) for k, v in ckpt["names"].items()},
                "imgsz": int(ckpt.get("imgsz") or args.get("imgsz") or 224), "data": args.get("data"),
                "model_name": _model_label(ckpt), "sha256": file_sha256(path),
                "size_mb": path.stat().st_size / 2**20, "provenance": ckpt.get("provenance")}
    except Exception as e:
        return {"status": "failed", "reason": one_line(e)}


_loaded: dict[tuple[str, int, int], dict[str, Any]] = {}


def _checkpoint(path: str, load: Any) -> dict[str, Any]:
    """The checkpoint at `path`, read once per export worker (an Ultralytics checkpoint is converted on every
    read: ~0.5 s, once per format otherwise); read again when the file changed."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_mtime_ns, st.st_size)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load(path)
    return _loaded[key]


def export_job(job: dict[str, Any]) -> dict[str, Any]:
    """Export the checkpoint to job['format'] with job['options']; status and one-line reason on failure."""
    _extend_path(job)
    t0 = time.perf_counter()
    try:
        if job.get("threads"):  # torch was imported by the fork server: OMP_NUM_THREADS is too late here
            import torch

            torch.set_num_threads(int(job["threads"]))
        from ..engine.exporter import export_model
        from ..models import load_checkpoint, model_from_checkpoint

        ckpt = _checkpoint(job["checkpoint"], load_checkpoint)
        model = model_from_checkpoint(ckpt)  # a new model each time: an exporter may change its model
        # verify=False: the bench's own run of the artifact (val + parity) is the stricter check.
        res = export_model(model, job["format"], source=job["source"], source_sha256=job.get("sha256"),
                           provenance=ckpt.get("provenance"), verify=False, **job["options"])
        return {"status": "ok", "path": res.path, "seconds": res.seconds, "size_mb": res.size_mb,
                "versions": res.versions, "wall_s": time.perf_counter() - t0}
    except Exception as e:
        return {"status": status_of(e), "reason": one_line(e), "wall_s": time.perf_counter() - t0}
