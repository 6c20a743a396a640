"""`yolocls diff`: run the same real images through a `.pt` and its artifacts and compare them block by block.

The reference is the checkpoint loaded by the PyTorch runtime; each artifact is loaded by its own runtime,
which reads the block outputs its block map names (recorded at export: see yolocls.exporters._blocks) and
returns them in PyTorch's layout. Both sides see the same preprocessed images at the artifact's size. The
network's output block is compared through `predict` (probabilities, post-processed as deployed). An
artifact that cannot expose its blocks still gets its output compared, and says why.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .compare import TOLERANCES, compare_blocks, tensor_error
from .results import ArtifactDiff, DiffReport

DEFAULT_IMAGES = 32


def _artifacts(artifact: Any) -> list[Path]:
    if isinstance(artifact, Path):
        artifact = [artifact]
    items = artifact.split(",") if isinstance(artifact, str) else list(artifact or [])
    paths = [Path(str(a).strip()) for a in items if str(a).strip()]
    if not paths:
        raise ConfigError("no artifact given: yolocls diff model=best.pt artifact=best.onnx (a comma list for several)")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"artifact {', '.join(missing)} does not exist; export it first (yolocls export model=... "
                          "format=...)")
    return paths


def _reference(model: str | Path, device: str) -> Any:
    from ..formats import REFERENCE_FORMAT
    from ..runtimes import detect_format, load_runtime

    if not model or detect_format(model) != REFERENCE_FORMAT:
        raise ConfigError(f"model='{model}' must be the PyTorch checkpoint (.pt) the artifacts were exported from")
    if not Path(model).is_file():
        raise ConfigError(f"model='{model}' does not exist")
    return load_runtime(model, device=device)


def _data(data: str | None, rt: Any, ref: Any) -> str:
    chosen = data or rt.metadata.get("data") or (getattr(ref.model, "args", None) or {}).get("data")
    if not chosen:
        warnings.warn("diff: no data= given and the artifact names no dataset; comparing on the built-in digits "
                      "images (pass data= with images like those the model will see)", stacklevel=3)
        chosen = "digits"
    return str(chosen)


def _source_note(rt: Any, model: Path) -> str:
    from ..models.checkpoint import file_sha256

    want = (rt.metadata.get("source") or {}).get("sha256")
    if want and want != file_sha256(model):
        return (f"'{rt.path.name}' was exported from a checkpoint whose sha256 differs from {model.name}'s: "
                "differences may be the checkpoint's, not the converter's")
    return ""


def compare_artifact(ref: Any, rt: Any, x: np.ndarray, depth: int = 1, tol: float | None = None) -> ArtifactDiff:
    """Compare a loaded artifact runtime `rt` with the reference runtime `ref` on the images `x` (NCHW)."""
    t0 = time.perf_counter()
    tolerance = float(tol if tol is not None else TOLERANCES.get(rt.precision, TOLERANCES["fp32"]))
    entries = [e for e in ref.block_map if int(e["depth"]) <= depth]
    inner = [e["name"] for e in entries if not e.get("output")]
    ref_blocks = ref.block_outputs(x, inner)
    p_ref, p_art = ref.predict(x), rt.predict(x)
    head = next(e["name"] for e in entries if e.get("output"))
    ref_blocks[head] = p_ref
    got: dict[str, np.ndarray] = {head: p_art}
    reason = rt.blocks_reason() or ""
    reasons: dict[str, str] = {}
    if not reason:
        mapped = {e["name"] for e in rt.block_map if e.get("tensor") is not None}
        got.update(rt.block_outputs(x, [n for n in inner if n in mapped]))
        note = (rt.metadata.get("blocks") or {}).get("note", "")
        reasons = {n: note or "the converter removed or merged this tensor" for n in inner if n not in mapped}
    else:
        reasons = {n: reason for n in inner}
    rows = compare_blocks(entries, ref_blocks, got, tolerance, reasons)
    max_abs = tensor_error(p_ref, p_art)[0]
    agreement = float((p_ref.argmax(1) == p_art.argmax(1)).mean())
    return ArtifactDiff(artifact=str(rt.path), format=rt.name, precision=rt.precision, tolerance=tolerance,
                        blocks=rows, output={"max_abs": max_abs, "agreement": agreement},
                        exposes_blocks=not reason, reason=reason, seconds=round(time.perf_counter() - t0, 3))


def diff(model: str | Path, artifact: Any, *, data: str | None = None, images: int = DEFAULT_IMAGES,
         depth: int = 1, tol: float | None = None, sensitivity: bool = False, device: str = "cpu",
         save: bool = False, project: str | Path | None = None, name: str | None = None, exist_ok: bool = False,
         verbose: bool = True, fraction: float | None = None, gate: float | None = None) -> DiffReport:
    """Compare the checkpoint `model` with each artifact (a path, a list, or a comma list) block by block.

    images: how many val images of `data` (default: the artifact's training dataset) to compare on, spread
    over the classes. depth: 1 compares the top-level blocks, 2 also the modules inside each block.
    tol: the relative error a block may have (default per precision: `compare.TOLERANCES`).
    sensitivity: for int8 artifacts whose exporter can keep blocks in float, also rank the blocks by the
    top-1 drop their quantisation alone causes, and show what keep_float=auto keeps (`diagnose.sensitivity`;
    fraction: the calibration share of those exports, default the artifact's; gate: the top-1 drop in points
    keep_float=auto must reach, default 1).
    save: write report.md, report.json and blocks.png to runs/classify/diffN/ (project/name change it).
    """
    from ..data.split_arrays import split_arrays
    from ..runtimes import load_runtime

    if depth not in (1, 2):
        raise ConfigError(f"depth={depth}: use 1 (top-level blocks) or 2 (also the modules inside each block)")
    if int(images) < 1:
        raise ConfigError(f"images={images} must be >= 1")
    t0 = time.perf_counter()
    paths = _artifacts(artifact)
    ref = _reference(model, device)
    results, data_used, imgsz = [], "", 0
    for path in paths:
        rt = load_runtime(path, device=device)
        try:
            data_used = _data(data, rt, ref)
            imgsz = rt.imgsz
            x = split_arrays(data_used, imgsz, "val", limit=int(images))[0]
            res = compare_artifact(ref, rt, x, depth=depth, tol=tol)
            note = _source_note(rt, Path(model))
            if note:
                res.notes.append(note)
            results.append(res)
        finally:
            rt.close()
    report = DiffReport(model=str(model), data=data_used, images=int(images), imgsz=imgsz, depth=depth,
                        artifacts=results)
    if sensitivity:
        from .sensitivity import sensitivity as rank

        int8 = [a for a in results if a.precision == "int8"]
        for a in int8:
            try:
                report.sensitivity.append(rank(ref.model, Path(a.artifact), data=data, fraction=fraction, gate=gate,
                                               verbose=verbose))
            except ConfigError as e:  # a format that cannot keep blocks in float: its comparison stands
                a.notes.append(f"sensitivity not measured: {e}")
                warnings.warn(f"sensitivity: {e}", stacklevel=2)
        if not int8:
            warnings.warn("sensitivity=True ranks int8 artifacts; none of the artifacts is int8", stacklevel=2)
    report.seconds = round(time.perf_counter() - t0, 2)
    if save:
        from ..engine.runs import run_dir
        from .report import write_reports

        report.files = write_reports(report, run_dir("diff", project, name, exist_ok))
    if verbose:
        from .report import print_report

        print_report(report)
    return report


CLI_KEYS = ("model", "artifact", "data", "images", "depth", "tol", "sensitivity", "fraction", "max_top1_drop",
            "device", "save", "project", "name", "exist_ok", "verbose", "check")


def diff_cli(args: dict[str, Any]) -> int:
    """`yolocls diff model=best.pt artifact=best.onnx[,best.tflite] [...]` -> exit code (with check=True, 1 when
    an artifact has a block over tolerance or its output's top-1 differs from the reference's)."""
    args = {k: v for k, v in args.items() if v is not None}
    extra = sorted(set(args) - set(CLI_KEYS))
    if extra:
        raise ConfigError(f"'yolocls diff' does not take {', '.join(extra)}; see 'yolocls diff --help'")
    check = bool(args.pop("check", False))
    if "max_top1_drop" in args:
        args["gate"] = float(args.pop("max_top1_drop"))
    model = args.pop("model", None)
    if model is None or str(model).endswith(".yaml"):
        raise ConfigError("yolocls diff needs model=<the .pt checkpoint the artifact was exported from>")
    report = diff(model, args.pop("artifact", None), **args)
    broken = [a for a in report.artifacts if a.first_divergent is not None or a.output["agreement"] < 1.0]
    return 1 if check and broken else 0
