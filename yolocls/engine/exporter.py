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

from .._io import move_into_place
from ..errors import ExportError, PlatformNotSupportedError
from ..exporters._context import ExportContext, ExportOptions
from ..exporters._registry import get_exporter
from ..metadata import build_metadata


@dataclass
class ExportResult:
    """One format's export outcome (a row of `--format all`'s table and manifest)."""

    format: str
    status: str  # one of yolocls.errors.STATUSES: ok | failed | unavailable | missing
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


def export_model(model: Any, fmt: str, *, source: str | Path | None = None, source_sha256: str | None = None,
                 provenance: dict[str, Any] | None = None, verify: bool = True, **kw: Any) -> ExportResult:
    """Export a ClassificationModel to `fmt`; raise on failure (MissingDependencyError, ExportError...).

    `source` (the checkpoint path) decides the artifact's name and folder: `best.pt` -> `best.onnx`.
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
    final = spec.artifact_path(stem)
    final.parent.mkdir(parents=True, exist_ok=True)
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
        # Write beside the final path (same filesystem) so the last step is an atomic rename.
        tmp = final.with_name(f".partial-{final.name}")  # same suffix: some converters insist on it
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        if spec.is_dir:
            tmp.mkdir()
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
            move_into_place(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            raise
    return ExportResult(format=spec.name, status="ok", path=str(final), seconds=round(seconds, 3),
                        size_mb=round(artifact_size(final) / 2**20, 3), sha256=artifact_sha256(final),
                        verified=verified, reason=reason, versions=dict(md.get("versions", {})))
