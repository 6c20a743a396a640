"""Exporter registry: a frozen spec per format plus one `export` function, registered by decorator."""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import MissingDependencyError, UnknownFormatError
from ._context import ExportContext, ExportOptions

# Every option an exporter may honour: the fields of ExportOptions (the facade and CLI accept exactly these).
OPTIONS = frozenset(f.name for f in fields(ExportOptions))
PRECISIONS = ("fp32", "fp16", "int8")  # fp32 artifacts keep the plain name; the others carry the precision


@dataclass(frozen=True)
class ExporterSpec:
    """What a format's exporter declares about itself.

    name: registry name (`onnx`). title: display name. suffix: appended to the checkpoint stem, a file suffix
    (`.onnx`) or a folder suffix (`_openvino_model`, is_dir=True). extra: the pip extra that installs it.
    requires: importable modules the exporter needs. options: which OPTIONS it honours.
    fix: the install command to name when a required module is missing, where `pip install 'yolocls[extra]'`
    is not enough (packages that must go in with --no-deps). Where the artifact can *run* is its runtime's
    answer (`Runtime.unavailable_reason`), not the exporter's.

    install_hint: the install command when `pip install 'yolocls[extra]'` is not enough (e.g. another index).
    cost_s: the export's rough seconds (yolov8n-cls at 32 px on one core of this project's machine, imports
    included, benchmarks/results/export_time_formats.json): only the bench reads it, to start the longest
    exports first so its export lanes end together (bench.runner.plan_groups).
    export_group: which bench export worker exports the format, one after another with the other formats of
    its group, their imports and conversions shared (default: the first module of `requires`).
    """

    name: str
    title: str
    suffix: str
    is_dir: bool = False
    extra: str | None = None
    requires: tuple[str, ...] = ()
    options: frozenset[str] = field(default_factory=frozenset)
    note: str = ""
    fix: str | None = None

    install_hint: str | None = None
    cost_s: float = 1.0
    export_group: str | None = None

    @property
    def group(self) -> str:
        """The bench export worker's group (`export_group`, else the first required module, else the name)."""
        return self.export_group or (self.requires[0] if self.requires else self.name)

    def artifact_path(self, stem_path: Path, precision: str = "fp32") -> Path:
        """The one naming rule of artifacts: `runs/.../best.pt` -> `runs/.../best.onnx` or
        `runs/.../best_openvino_model/` in fp32, and with the precision before the suffix otherwise
        (`best_int8.tflite`, `best_fp16_openvino_model/`), so one precision never replaces another."""
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision '{precision}'; one of {', '.join(PRECISIONS)}")
        tag = "" if precision == "fp32" else f"_{precision}"
        return stem_path.with_name(stem_path.stem + tag + self.suffix)

    def precision_of(self, artifact: Path) -> str:
        """The precision an artifact's name says (`best_int8.tflite` -> int8; no tag -> fp32)."""
        name = Path(artifact).name.rstrip("/")
        stem = name[: -len(self.suffix)] if name.endswith(self.suffix) else Path(name).stem
        return next((p for p in PRECISIONS[1:] if stem.endswith(f"_{p}")), "fp32")

    def missing(self) -> str | None:
        """The first required module that is not installed, or None."""
        for mod in self.requires:
            if importlib.util.find_spec(mod) is None:
                return mod
        return None

    def check_available(self) -> None:
        mod = self.missing()
        if mod:
            raise MissingDependencyError(self.name, mod, self.extra, hint=self.fix or self.install_hint)


ExportFn = Callable[[ExportContext], Path]
_EXPORTERS: dict[str, tuple[ExporterSpec, ExportFn]] = {}


def register_exporter(spec: ExporterSpec) -> Callable[[ExportFn], ExportFn]:
    """Decorator: `@register_exporter(ExporterSpec(name="onnx", ...))` on `def export(ctx) -> Path`."""
    unknown = spec.options - OPTIONS
    if unknown:
        raise ValueError(f"exporter '{spec.name}' declares unknown options {sorted(unknown)}; valid: {sorted(OPTIONS)}")

    def deco(fn: ExportFn) -> ExportFn:
        _EXPORTERS[spec.name] = (spec, fn)
        return fn

    return deco


def exporter_names() -> list[str]:
    """Registered export formats, built-ins in table order, then third-party ones."""
    from ..formats import BUILTIN, load_plugins

    load_plugins()
    order = {n: i for i, n in enumerate(BUILTIN)}
    return sorted(_EXPORTERS, key=lambda n: (order.get(n, len(order)), n))


def get_exporter(name: str) -> tuple[ExporterSpec, ExportFn]:
    from ..formats import canonical

    names = exporter_names()
    key = canonical(name)
    if key == "all" or "," in key:
        raise UnknownFormatError(f"format='{name}' names several formats; export one at a time here, or use "
                                 "yolocls.engine.export_many.export_formats(model, 'all') / yolocls export format=all")
    if key not in _EXPORTERS:
        from ..formats import ALIASES, REFERENCE_FORMAT

        close = difflib.get_close_matches(key, [*names, *ALIASES], n=1)
        hint = (" (the PyTorch checkpoint itself, not an export target)" if key == REFERENCE_FORMAT else
                f" (did you mean '{close[0]}'?)" if close else "")
        raise UnknownFormatError(f"unknown export format '{name}'{hint}; valid formats: {', '.join(names)}, or 'all'"
                                 f"{_alias_note()}")
    return _EXPORTERS[key]


def _alias_note() -> str:
    from ..formats import ALIASES

    return "".join(f" ('{a}' is another name of '{f}')" for a, f in ALIASES.items())


def parse_formats(spec: str | list[str] | tuple[str, ...]) -> list[str]:
    """The one reading of a format list (CLI, `export_formats`, the bench): 'onnx,openvino' | 'all' |
    ['onnx'] -> registered names in the order given, without duplicates; 'all' anywhere means every
    registered format. A typo or an empty list raises UnknownFormatError (listing the valid names) before
    anything is exported."""
    items = [str(s).strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()]
    if not items:
        raise UnknownFormatError(f"no format given; valid formats: {', '.join(exporter_names())}, or 'all'")
    if any(s.lower() == "all" for s in items):
        return exporter_names()
    return list(dict.fromkeys(get_exporter(s)[0].name for s in items))


def spec_dict(spec: ExporterSpec) -> dict[str, Any]:
    return {"name": spec.name, "title": spec.title, "suffix": spec.suffix, "extra": spec.extra,
            "options": sorted(spec.options)}
