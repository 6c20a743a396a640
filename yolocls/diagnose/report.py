"""What `yolocls diff` shows and writes: a console table per artifact, report.md, report.json and blocks.png
(relative error per block, one line per artifact). Files are written atomically."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

from .._io import write_bytes, write_text
from .compare import BlockError
from .results import ArtifactDiff, DiffReport

COLUMNS = ("#", "block", "type", "shape", "max |d|", "rel. error", "cosine", "")


def _num(v: float | None, fmt: str = ".2e") -> str:
    return "-" if v is None else "inf" if math.isinf(v) else format(v, fmt)


def _status(b: BlockError, first: BlockError | None) -> str:
    if not b.exposed:
        return "not exposed"
    if b is first:
        return "FIRST DIVERGENT"
    return "ok" if b.passed else "over tolerance"


def block_rows(a: ArtifactDiff) -> list[list[str]]:
    """The table's cells for one artifact, a row per block in network order."""
    first = a.first_divergent
    rows = []
    for b in a.blocks:
        shape = "x".join(str(d) for d in b.shape[1:]) + (" (output)" if b.output else "")
        name = ("  " if b.depth > 1 else "") + b.name
        rows.append([str(b.index), name, b.type, shape, _num(b.max_abs), _num(b.rel), _num(b.cosine, ".6f"),
                     _status(b, first)])
    return rows


def title(a: ArtifactDiff, report: DiffReport) -> str:
    return (f"{Path(a.artifact).name} ({a.format}, {a.precision}) vs {Path(report.model).name}: {report.images} "
            f"{report.data} val images at {report.imgsz} px, tolerance: relative error <= {a.tolerance:g}")


def summary(a: ArtifactDiff) -> list[str]:
    first = a.first_divergent
    lines = [f"output: max |dp| {a.output['max_abs']:.3g}, top-1 agreement {a.output['agreement']:.1%}"]
    if not a.exposes_blocks:
        lines.append(f"blocks not compared: {a.reason}")
    elif first is None:
        lines.append("first divergent block: none (every exposed block within tolerance)")
    else:
        lines.append(f"first divergent block: {first.index} {first.name} ({first.type}), relative error "
                     f"{first.rel:.3g} > {a.tolerance:g}")
    hidden = sorted({b.note for b in a.blocks if not b.exposed and b.note} - {a.reason})
    lines += [f"not exposed: {n}" for n in hidden]
    return lines + a.notes


def artifact_table(a: ArtifactDiff, shape: bool = True) -> str:
    """One artifact's block table in Markdown (a row per block, network order); `shape=False` leaves out the
    shape column."""
    def line(cells: list[str]) -> str:
        cells = cells if shape else cells[:3] + cells[4:]
        return "| " + " | ".join(c.replace("|", "\\|").strip() or "-" for c in cells) + " |"

    return "\n".join([line([*COLUMNS[:-1], "status"]), "|" + "---|" * (len(COLUMNS) - (not shape))]
                      + [line(row) for row in block_rows(a)])


def markdown(report: DiffReport) -> str:
    out = [f"# yolocls diff: {Path(report.model).name}", "",
           f"{report.images} val images of `{report.data}` at {report.imgsz} px, depth {report.depth}, "
           f"{report.seconds:.1f} s.", ""]
    for a in report.artifacts:
        out += [f"## {title(a, report)}", "", artifact_table(a), ""] + [f"- {line}" for line in summary(a)] + [""]
    for s in report.sensitivity:
        out += s.markdown() + [""]
    return "\n".join(out)


def plot_png(report: DiffReport) -> bytes:
    """Relative error per block (log scale), one line per artifact; tolerances dashed; first divergence ringed."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(7.0, 0.32 * max((len(a.blocks) for a in report.artifacts), default=10)), 4.8),
                           dpi=110)
    names: list[str] = []
    for k, a in enumerate(report.artifacts):
        colour = f"C{k % 10}"
        pts = [(i, b) for i, b in enumerate(a.blocks) if b.exposed]
        names = [b.name.removeprefix("model.") for b in a.blocks] if len(a.blocks) > len(names) else names
        floor = 1e-12  # an exact match plots at the floor of the log axis
        ax.plot([i for i, _ in pts], [max(b.rel or 0.0, floor) for _, b in pts], marker="o", ms=4, color=colour,
                label=f"{Path(a.artifact).name} ({a.precision})")
        ax.axhline(a.tolerance, color=colour, ls="--", lw=0.8, alpha=0.7)
        first = a.first_divergent
        if first is not None:
            i = a.blocks.index(first)
            ax.plot([i], [max(first.rel, floor)], marker="o", ms=13, mfc="none", mec="red", mew=1.5)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7.5)
    ax.set_xlabel("block (network order; the last is the output, compared as probabilities)")
    ax.set_ylabel("relative error ||a - r|| / ||r||")
    ax.set_title(f"{Path(report.model).name}: error per block ({report.images} images, {report.imgsz} px); "
                 "dashed: tolerance, ring: first divergent", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_reports(report: DiffReport, folder: Path) -> dict[str, Path]:
    """report.json, report.md and blocks.png in `folder`."""
    files = {"json": folder / "report.json", "md": folder / "report.md", "png": folder / "blocks.png"}
    write_text(files["json"], json.dumps(report.to_dict(), indent=2))
    write_text(files["md"], markdown(report))
    write_bytes(files["png"], plot_png(report))
    return files


def print_report(report: DiffReport, console: Any = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(width=max(110, Console().width))
    for a in report.artifacts:
        t = Table(title=escape(title(a, report)), title_justify="left", header_style="bold")
        for c in COLUMNS:
            t.add_column(c, justify="right" if c in ("#", "max |d|", "rel. error", "cosine") else "left")
        first = a.first_divergent
        for b, row in zip(a.blocks, block_rows(a), strict=True):
            style = "bold red" if b is first else "red" if b.passed is False else "dim" if not b.exposed else None
            t.add_row(*map(escape, row), style=style)
        console.print(t)
        for line in summary(a):
            console.print("  " + line, highlight=False, markup=False)
    for s in report.sensitivity:
        s.print(console)
    if report.files:
        console.print(f"reports: {', '.join(str(p) for p in report.files.values())}", highlight=False)
    console.print(f"diff done in {report.seconds:.1f} s", highlight=False)
