"""int8 sensitivity of an artifact: which top-level block's quantisation costs the most top-1, and what
keep_float=auto would keep in float. The measuring is engine.keep_float's (real exports through the
artifact's own exporter, validated by its runtime); this module picks the export settings from the
artifact's metadata and presents the result."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.keep_float import KeepFloatSearch, search


@dataclass
class Sensitivity:
    artifact: str
    search: KeepFloatSearch
    options: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "options": self.options, **self.search.to_dict()}

    def rows(self) -> list[list[str]]:
        return [[str(b.index), b.name, b.type, f"{100 * b.top1:.2f}", f"{b.drop:+.2f}"] for b in self.search.blocks]

    def lines(self) -> list[str]:
        s = self.search
        out = [f"reference (fp32 PyTorch) top-1 {100 * s.reference_top1:.2f}% on {s.images} val images of {s.data}; "
               f"plain int8 top-1 {100 * s.plain.top1:.2f}% (drop {s.plain.drop:.2f} points)"]
        if s.chosen is not None:
            keep = ",".join(map(str, s.chosen.keep_float)) or "none"
            verdict = "within" if s.met else "NOT within"
            out.append(f"keep_float=auto keeps {keep} in float: top-1 {100 * s.chosen.top1:.2f}% (drop "
                       f"{s.chosen.drop:.2f} points, {verdict} the {s.gate:g}-point gate); export with "
                       f"int8=True keep_float={keep if s.chosen.keep_float else 'auto'}")
        out.append(f"{len(s.blocks) + len(s.steps) + 1} int8 exports in {s.seconds:.0f} s")
        return out

    def markdown(self) -> list[str]:
        out = [f"## int8 sensitivity: {Path(self.artifact).name} ({self.search.format})", "",
               "Each block quantised alone (every other block in float), most damaging first:", "",
               "| # | block | type | top-1 % | drop (points) |", "|---|---|---|---|---|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows()]
        return out + [""] + [f"- {line}" for line in self.lines()]

    def print(self, console: Any) -> None:
        from rich.table import Table

        t = Table(title=f"int8 sensitivity of {Path(self.artifact).name}: each block quantised alone, others float",
                  title_justify="left", header_style="bold")
        for c in ("#", "block", "type", "top-1 %", "drop (points)"):
            t.add_column(c, justify="left" if c in ("block", "type") else "right")
        for r in self.rows():
            t.add_row(*r)
        console.print(t)
        for line in self.lines():
            console.print("  " + line, highlight=False, markup=False)


def export_options(metadata: dict[str, Any], data: str | None = None, fraction: float | None = None
                   ) -> dict[str, Any]:
    """The export options that reproduce an int8 artifact (its calibration data and share, size, batch)."""
    calib = ((metadata.get("quantization") or {}).get("calibration") or {})
    return {"data": data or calib.get("source") or metadata.get("data"),
            "fraction": float(fraction if fraction is not None else calib.get("fraction") or 1.0),
            "imgsz": int(metadata["imgsz"][0]), "batch": int(metadata.get("batch") or 1),
            "dynamic": bool(metadata.get("dynamic"))}


def sensitivity(model: Any, artifact: str | Path, *, data: str | None = None, fraction: float | None = None,
                gate: float | None = None, verbose: bool = True) -> Sensitivity:
    """Rank the top-level blocks of the int8 `artifact` (exported from the ClassificationModel `model`) by the
    top-1 drop of quantising each alone, and run keep_float=auto's search; re-exports with the artifact's
    own calibration settings (data=, fraction= override them)."""
    from ..engine.exporter import export_model
    from ..runtimes import load_runtime

    rt = load_runtime(artifact)
    try:
        fmt, md = rt.name, rt.metadata
    finally:
        rt.close()
    opts = export_options(md, data, fraction)
    return Sensitivity(artifact=str(artifact), options=opts,
                       search=search(model, fmt, opts, export_model, rank=True, verbose=verbose, gate=gate))
