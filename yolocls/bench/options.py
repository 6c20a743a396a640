"""Bench options: batch lists, tolerance flags, and which export options a format takes.

Everything is decided from the exporter spec (its `options`), never from a format's name.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..errors import ConfigError
from .parity import TOLERANCES, Tolerance

TOLERANCE_KEYS = ("max_abs", "min_agreement", "max_top1_drop")


def parse_batches(batch: Any) -> list[int]:
    """1 | '1,8,32' | [1, 8, 32] -> sorted unique positive ints."""
    if batch is None:
        return [1]
    items = batch if isinstance(batch, (list, tuple)) else str(batch).split(",")
    try:
        out = sorted({int(str(b).strip()) for b in items if str(b).strip()})
    except ValueError:
        raise ConfigError(f"batch={batch!r}: give a batch size or a comma list such as 1,8,32") from None
    if not out or out[0] < 1:
        raise ConfigError(f"batch={batch!r}: batch sizes must be >= 1")
    return out


def build_tolerances(**overrides: Any) -> dict[str, Tolerance]:
    """TOLERANCES with flag overrides. A flag's value is a number (every precision) or 'fp16:1e-2,fp32:2e-4'
    (or a dict) for given precisions."""
    table = {k: asdict(v) for k, v in TOLERANCES.items()}
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in TOLERANCE_KEYS:
            raise ConfigError(f"unknown tolerance '{key}'; valid: {', '.join(TOLERANCE_KEYS)}")
        if isinstance(value, str) and ":" in value:
            value = dict(item.split(":", 1) for item in value.split(",") if item.strip())
        per = value if isinstance(value, dict) else {p: value for p in table}
        for prec, v in per.items():
            prec = str(prec).strip()
            if prec not in table:
                raise ConfigError(f"{key}: unknown precision '{prec}'; valid: {', '.join(table)}")
            try:
                table[prec][key] = None if v is None or str(v).lower() == "none" else float(v)
            except ValueError:
                raise ConfigError(f"{key}={v!r} for {prec} is not a number") from None
    return {p: Tolerance(**t) for p, t in table.items()}


def export_options(spec: Any, *, imgsz: int, device: str, half: bool, int8: bool, dynamic: bool,
                   data: str) -> tuple[dict[str, Any], str, list[str]]:
    """(options to pass, precision requested, requested options the format does not honour). Only options in
    the spec are passed: a format without `half` exports fp32 and the row says so."""
    wanted: dict[str, Any] = {"imgsz": imgsz, "device": device}
    wanted.update({k: True for k, on in (("half", half), ("int8", int8), ("dynamic", dynamic)) if on})
    opts = {k: v for k, v in wanted.items() if k in spec.options}
    ignored = [k for k in ("half", "int8") if k in wanted and k not in opts]
    if opts.get("int8"):
        opts["data"] = data  # calibrate on the data the bench validates on
    requested = "int8" if opts.get("int8") else "fp16" if opts.get("half") else "fp32"
    return opts, requested, ignored
