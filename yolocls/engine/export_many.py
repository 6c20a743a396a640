"""Export one model to several formats: never stop at the first failure, record why each one failed, print a
table, and write a manifest (JSON) beside the artifacts. The manifest accumulates: each export merges its
entries (one per format and precision) into what earlier exports recorded, under a lock, so exporting onnx and
then openvino, or two exports at once, keeps every entry.

`yolocls export model=best.pt format=onnx,openvino`, `yolocls-export --model best.pt --format all`, and
from Python `export_formats("best.pt", "all", imgsz=224)`.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import time
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import STATUSES, MissingDependencyError, PlatformNotSupportedError, YoloclsError, status_of
from ..exporters._registry import exporter_names, get_exporter, parse_formats, spec_dict
from ..formats import DEFAULT_EXPORT
from ..runtimes import runs_on
from .exporter import ExportResult, export_model

NOT_EXPORT_OPTIONS = ("model", "format", "strict", "verbose")


def _installed_versions(fmt: str) -> dict[str, str]:
    """Versions of the packages a format's exporter needs (for the manifest of a failed export)."""
    out = {}
    for mod in get_exporter(fmt)[0].requires:
        try:
            out[mod] = importlib.metadata.version(mod)
        except importlib.metadata.PackageNotFoundError:
            out[mod] = "not installed"
    return out


def export_one(yolo: Any, fmt: str, **opts: Any) -> ExportResult:
    """Export `yolo` (a YOLO holding a PyTorch model) to `fmt`; every failure becomes a result with its reason."""
    from ..models.checkpoint import file_sha256

    src = yolo.ckpt_path
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = export_model(yolo._require_torch_model("export"), fmt, source=src,
                               source_sha256=file_sha256(src) if src else None,
                               provenance=(yolo.ckpt or {}).get("provenance"), **opts)
        except (MissingDependencyError, PlatformNotSupportedError) as e:
            res = ExportResult(format=fmt, status=status_of(e), precision=_precision(fmt, opts), reason=str(e),
                               versions=_installed_versions(fmt))
        except YoloclsError as e:  # our own errors say what is wrong (a full disk, a bad option)
            res = ExportResult(format=fmt, status=status_of(e), precision=_precision(fmt, opts), reason=str(e),
                               versions=_installed_versions(fmt))
        except Exception as e:  # any converter error: record it and go on with the next format
            last = traceback.extract_tb(e.__traceback__)[-1]
            res = ExportResult(format=fmt, status=status_of(e), precision=_precision(fmt, opts),
                               reason=f"{type(e).__name__}: {e} (at {Path(last.filename).name}:{last.lineno})",
                               versions=_installed_versions(fmt))
    notes = list(dict.fromkeys(str(w.message).splitlines()[0] for w in caught
                               if issubclass(w.category, UserWarning)))
    if notes and res.status == "ok":
        res.reason = "; ".join(filter(None, [res.reason, *notes]))
    if res.seconds is None:
        res.seconds = round(time.perf_counter() - t0, 3)
    return res


def _precision(fmt: str, opts: dict[str, Any]) -> str:
    """The precision an export of `fmt` with `opts` asks for (a format without half/int8 exports fp32)."""
    takes = get_exporter(fmt)[0].options
    return "int8" if opts.get("int8") and "int8" in takes else "fp16" if opts.get("half") and "half" in takes else "fp32"


def export_formats(model: Any, formats: str | list[str] = "all", *, manifest: bool | str | Path = True,
                   verbose: bool = True, **opts: Any) -> list[ExportResult]:
    """Export `model` (a YOLO, or a checkpoint/YAML path) to every requested format; return one result each.

    `manifest`: True writes `<stem>_export_manifest.json` beside the artifacts, a path writes it there.
    """
    from ..cfg import check_args
    from .model import YOLO

    opts = check_args("export", opts, caller="export_formats()")
    yolo = model if isinstance(model, YOLO) else YOLO(model)
    yolo._require_torch_model("export")
    names = parse_formats(formats)
    results = []
    for i, fmt in enumerate(names, 1):
        if verbose:
            print(f"[{i}/{len(names)}] exporting {fmt} ...", flush=True)
        results.append(export_one(yolo, fmt, **opts))
        if verbose and results[-1].status != "ok":
            print(f"    {results[-1].status}: {results[-1].reason}", flush=True)
    if manifest:
        write_manifest(results, manifest_path(yolo, manifest), yolo, names, opts)
    if verbose:
        print(results_table(results))
    return results


def manifest_path(yolo: Any, manifest: bool | str | Path) -> Path:
    if not isinstance(manifest, bool):
        return Path(manifest)
    stem = yolo.ckpt_path or Path(Path(yolo.source).stem + ".pt")
    return stem.with_name(f"{stem.stem}_export_manifest.json")


def write_manifest(results: list[ExportResult], path: Path, yolo: Any, requested: list[str],
                   opts: dict[str, Any]) -> Path:
    """Per format and precision: status, path, size, sha256, seconds, options, converter versions, and the
    reason for each failure; merged into the entries earlier exports of the same model recorded (this run's
    replace theirs for the same format and precision), under a lock on the folder."""
    from .._io import locked, write_text
    from .._version import __version__
    from ..models.checkpoint import file_sha256

    sha = file_sha256(yolo.ckpt_path) if yolo.ckpt_path else None
    options = {k: v for k, v in opts.items() if v is not None}
    new = [{**r.to_dict(), "options": options,
            "spec": {**spec_dict(get_exporter(r.format)[0]), "runs_on": runs_on(r.format)}} for r in results]
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent):
        entries = {(e["format"], e.get("precision", "fp32")): e for e in _earlier_entries(path, sha)}
        entries.update({(e["format"], e["precision"]): e for e in new})
        merged = list(entries.values())
        doc = {
            "yolocls": __version__,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "model": {"source": yolo.source, "sha256": sha},
            "requested": requested,
            "options": options,
            "environment": {"python": platform.python_version(), "platform": platform.platform()},
            "summary": {s: sum(e["status"] == s for e in merged) for s in STATUSES},
            "formats": merged,
        }
        return write_text(path, json.dumps(doc, indent=2, default=str) + "\n")


def _earlier_entries(path: Path, sha: str | None) -> list[dict[str, Any]]:
    """The entries an earlier export of the same checkpoint wrote to `path` (none for another checkpoint, or a
    manifest that does not parse)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(doc, dict) or (doc.get("model") or {}).get("sha256") != sha:
        return []  # the checkpoint changed (retrained): its old artifacts' entries no longer describe it
    return [e for e in doc.get("formats") or [] if isinstance(e, dict) and "format" in e and "status" in e]


def results_table(results: list[ExportResult]) -> str:
    """The closing table: format, status, file, size MB, seconds, and a note (the reason when not ok)."""
    from io import StringIO

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="yolocls export", title_justify="left")
    for col, justify in (("format", "left"), ("status", "left"), ("file", "left"), ("size MB", "right"),
                         ("seconds", "right"), ("note", "left")):
        t.add_column(col, justify=justify, overflow="fold")
    style = {"ok": "green", "failed": "red", "unavailable": "yellow", "missing": "yellow"}
    for r in results:
        status = r.status if r.verified or r.status != "ok" else "ok (not run)"
        t.add_row(escape(r.format), f"[{style.get(r.status, 'white')}]{status}[/]",
                  escape(Path(r.path).name) if r.path else "-",
                  f"{r.size_mb:.2f}" if r.size_mb is not None else "-",
                  f"{r.seconds:.1f}" if r.seconds is not None else "-", escape(r.reason[:160]))
    buf = StringIO()
    Console(file=buf, width=160, force_terminal=sys.stdout.isatty()).print(t)
    return buf.getvalue().rstrip()


def exit_code(results: list[ExportResult], strict: bool = False) -> int:
    """0 unless every requested format failed (or, with strict, any did)."""
    ok = [r.status == "ok" for r in results]
    return 0 if results and (all(ok) if strict else any(ok)) else 1


def export_cli(args: dict[str, Any]) -> int:
    """`yolocls export model=best.pt format=onnx,openvino|all [strict=True] [options]` -> exit code."""
    args = dict(args)
    model = args.pop("model", None) or "yolov8n-cls.yaml"
    formats = args.pop("format", None) or DEFAULT_EXPORT
    strict = bool(args.pop("strict", False))
    verbose = args.pop("verbose", True) is not False
    opts = {k: v for k, v in args.items() if k not in NOT_EXPORT_OPTIONS}
    results = export_formats(model, formats if isinstance(formats, (str, list)) else str(formats),
                             verbose=verbose, **opts)
    return exit_code(results, strict)


def formats_help() -> str:
    """The format table for `yolocls export --help` (imports no backend)."""
    from ..formats import ALIASES

    aliases = ", ".join(f"{a} = {f}" for a, f in ALIASES.items())
    lines = ["", f"formats (format=NAME, a comma list, or all; also {aliases}):",
             f"  {'name':<12} {'artifact':<24} {'pip extra':<11} {'status':<20} options"]
    for name in exporter_names():
        spec, platform = get_exporter(name)[0], runs_on(name)
        missing = spec.missing()
        status = f"needs {missing}" if missing else "available" if platform == "any" else f"runs on {platform}"
        lines.append(f"  {name:<12} {'<stem>' + spec.suffix + ('/' if spec.is_dir else ''):<24} "
                     f"{spec.extra or '-':<11} {status:<20} {' '.join(sorted(spec.options))}")
    return "\n".join(lines)
