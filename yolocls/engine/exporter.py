"""Format-agnostic export: option checks, atomic writes, metadata, and load-and-run verification.

An export counts as a success only after its artifact was loaded by its own runtime and ran once on a real
image; a converter that exits 0 but writes junk is a failure.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .._io import move_into_place, require_space, space_problem, temp_folder, temp_path
from ..errors import DiskFullError, ExportError, PlatformNotSupportedError
from ..exporters._context import ExportContext, ExportOptions
from ..exporters._registry import get_exporter
from ..metadata import build_metadata


@dataclass
class ExportResult:
    """One format's export outcome (a row of `--format all`'s table and manifest)."""

    format: str
    status: str  # one of yolocls.errors.STATUSES: ok | failed | unavailable | missing
    precision: str = "fp32"  # what the artifact holds (and its name says: best_int8.tflite)
    path: str | None = None
    size_mb: float | None = None
    seconds: float | None = None
    sha256: str | None = None
    verified: bool = False
    reason: str = ""
    versions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def artifact_size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def artifact_sha256(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and contents, sorted)."""
    import hashlib

    h = hashlib.sha256()
    files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def sample_image(imgsz: int, data: str | None = None) -> np.ndarray:
    """One real preprocessed image (1, 3, imgsz, imgsz) for verification: from `data` if given, else a digit."""
    from PIL import Image

    from ..data.preprocess import preprocess

    if data:
        from ..data.folder import list_split, resolve_data

        try:
            paths, _, _ = list_split(resolve_data(data), "val")
            return preprocess(Image.open(paths[0]).convert("RGB"), imgsz)[None]
        except Exception:
            pass
    from ..data.digits import digits_arrays

    return preprocess(digits_arrays()[0][0], imgsz)[None]


def verify_artifact(path: Path, fmt: str, imgsz: int, nc: int, data: str | None = None,
                    batch: int = 1) -> None:
    """Load `path` with its runtime and run it once; raise ExportError on junk output."""
    from ..runtimes import load_runtime

    rt = load_runtime(path, fmt=fmt)
    x = np.repeat(sample_image(imgsz, data), batch, axis=0)
    y = rt.predict(x)
    if y.shape != (batch, nc):
        raise ExportError(f"{fmt} artifact '{path}' returned shape {y.shape}; expected ({batch}, {nc})")
    if not np.all(np.isfinite(y)) or abs(float(y[0].sum()) - 1.0) > 0.02:
        raise ExportError(f"{fmt} artifact '{path}' returned non-probabilities (sum {float(y[0].sum()):.4f}, "
                          f"finite={bool(np.all(np.isfinite(y)))})")


def weights_bytes(model: Any, precision: str = "fp32") -> int:
    """The size of the model's weights stored at `precision`: what any artifact of it needs on disk, at least."""
    per = {"fp32": 4, "fp16": 2, "int8": 1}.get(precision, 4)
    return sum(t.numel() for t in model.state_dict().values()) * per


def export_model(model: Any, fmt: str, *, source: str | Path | None = None, source_sha256: str | None = None,
                 provenance: dict[str, Any] | None = None, verify: bool = True, **kw: Any) -> ExportResult:
    """Export a ClassificationModel to `fmt`; raise on failure (MissingDependencyError, ExportError...).

    `source` (the checkpoint path) decides the artifact's name and folder: `best.pt` -> `best.onnx`, and with
    half/int8 `best_fp16.onnx` / `best_int8.tflite` (ExporterSpec.artifact_path). The artifact is written
    under a unique temp name beside its destination, verified, then moved into place, so a concurrent export
    of the same artifact, a crash or a full disk never leaves a half artifact under the final name. A disk too
    full for the weights is refused before the converter runs (DiskFullError).
    """
    from ..models.classify import check_imgsz

    spec, fn = get_exporter(fmt)
    spec.check_available()
    opts = ExportOptions.from_kwargs(**kw)
    defaults = ExportOptions()
    ignored = [f.name for f in fields(opts) if f.name not in spec.options and f.name not in ("data", "fraction")
               and getattr(opts, f.name) != getattr(defaults, f.name)]
    if ignored:
        warnings.warn(f"format '{spec.name}' ignores option(s) {', '.join(ignored)}", stacklevel=2)
        for name in ignored:  # what the format does not take is not what it exports (nor what its name says)
            setattr(opts, name, getattr(defaults, name))
    opts.imgsz = check_imgsz(opts.imgsz or getattr(model, "imgsz", 224))
    search = None
    if opts.keep_float == "auto":
        if "keep_float" in spec.options:  # else the warning above said the option is ignored
            from .keep_float import search as keep_float_search

            search = keep_float_search(model, spec.name, {**kw, "imgsz": opts.imgsz}, export_model)
            opts.keep_float = search.chosen.keep_float or None
        else:
            opts.keep_float = None
    stem = Path(source) if source else Path(f"{model.yaml.get('yaml_file', 'model').removesuffix('.yaml')}.pt")
    final = spec.artifact_path(stem, opts.precision)
    final.parent.mkdir(parents=True, exist_ok=True)
    needed = weights_bytes(model, opts.precision) + (64 << 10)
    require_space(final.parent, needed, what=f"the {spec.name} artifact")
    require_space(tempfile.gettempdir(), weights_bytes(model), what=f"the {spec.name} export's scratch files")
    m = copy.deepcopy(model).float().cpu().eval()
    for p in m.parameters():
        p.requires_grad_(False)
    md = build_metadata(names=model.names, imgsz=opts.imgsz, fmt=spec.name, batch=opts.batch,
                        dynamic=opts.dynamic, precision=opts.precision, source=stem.name,
                        source_sha256=source_sha256, provenance=provenance,
                        data=(getattr(model, "args", None) or {}).get("data"))  # val's default dataset
    if search is not None:
        md["keep_float_search"] = search.to_dict()
    t0 = time.perf_counter()
    reason, verified = "", False
    with tempfile.TemporaryDirectory(prefix=f"yolocls-{spec.name}-") as work:
        # Written beside the final path (same filesystem, so the last step is a rename) under a name unique to
        # this process and call, ending in the format's suffix (some converters insist on it).
        tmp = temp_folder(final, spec.suffix) if spec.is_dir else temp_path(final)
        ctx = ExportContext(model=m, opts=opts, path=tmp, metadata=md, workdir=Path(work))
        try:
            out = fn(ctx)
            if out != tmp:
                raise ExportError(f"exporter '{spec.name}' wrote '{out}', not the path it was given ('{tmp}')")
            seconds = time.perf_counter() - t0
            if verify:  # before the rename: a junk artifact never replaces a good one
                try:
                    verify_artifact(tmp, spec.name, opts.imgsz, len(model.names), opts.data,
                                    batch=1 if opts.dynamic else opts.batch)
                    verified = True
                except PlatformNotSupportedError as e:
                    reason = f"exported, not run: {e.reason}"
                except ExportError:
                    raise
                except Exception as e:
                    raise ExportError(f"{spec.name} artifact was written but does not load and run: "
                                      f"{type(e).__name__}: {e}") from e
            size, sha = artifact_size(tmp), artifact_sha256(tmp)  # ours, even if a concurrent export lands next
            move_into_place(tmp, final)
        except BaseException as e:
            full = disk_full_cause(e, final.parent, needed)  # before the cleanup frees the space again
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            if full is not None:
                raise full from e
            raise
    if not final.exists():  # never report ok for an artifact that is not there
        raise ExportError(f"{spec.name} artifact '{final}' vanished right after it was written (removed by another "
                          f"process?)")
    return ExportResult(format=spec.name, status="ok", precision=opts.precision, path=str(final),
                        seconds=round(seconds, 3), size_mb=round(size / 2**20, 3), sha256=sha, verified=verified,
                        reason=reason, versions=dict(md.get("versions", {})))


def disk_full_cause(error: BaseException, folder: Path, needed: int) -> DiskFullError | None:
    """The DiskFullError behind a failed export: an ENOSPC/EFBIG anywhere in its chain, or a converter's own
    error (OpenVINO's 'basic_ios::clear: iostream error') on a filesystem that is now too full for the artifact."""
    from .._io import as_disk_full

    e: BaseException | None = error
    while e is not None:
        full = as_disk_full(e, folder, needed)
        if full is not None:
            return full
        e = e.__cause__ or e.__context__
    if isinstance(error, (KeyboardInterrupt, SystemExit)):
        return None
    return space_problem(folder, needed)
