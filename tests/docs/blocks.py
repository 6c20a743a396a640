"""The fenced code blocks of README.md and docs/, as the docs tests see them.

A block runs unless the HTML comment just above its fence says otherwise:

    <!-- not-run: why it cannot run here (a GPU, macOS, a dataset download...) -->

`python` blocks run in a fresh interpreter, `bash` blocks through `bash -e -o pipefail`, `yaml`/`json`/`toml`
blocks are parsed; a block in any other language (e.g. `text` output) must carry a `not-run` comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DRAFTS = DOCS / "_drafts"  # other engineers' drafts: fence-checked, never run, never built into the site
RUNNABLE = ("python", "bash", "yaml", "json", "toml")
MARKER = re.compile(r"^\s*<!--\s*(not-run|run)\s*:(.*?)-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    not_run: str | None  # the reason, when marked not runnable here
    closed: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files(drafts: bool = False) -> list[Path]:
    """README.md and every page under docs/ (drafts only when asked)."""
    pages = sorted(p for p in DOCS.rglob("*.md") if drafts or DRAFTS not in p.parents)
    return [ROOT / "README.md", *pages]


def markdown() -> MarkdownIt:
    # GitHub and MkDocs both render tables; the rest of CommonMark decides what is a fence.
    return MarkdownIt("commonmark").enable("table")


@cache
def blocks(path: Path) -> tuple[Block, ...]:
    text = path.read_text()
    lines = text.splitlines()
    out = []
    for tok in markdown().parse(text):
        if tok.type != "fence":
            continue
        start, end = tok.map
        closing = lines[end - 1].strip() if end - 1 > start and end - 1 < len(lines) else ""
        closed = closing.startswith(tok.markup) and set(closing) <= set(tok.markup[0])
        out.append(Block(path, start + 1, tok.info.strip().split(" ")[0], tok.content, _marker(lines, start), closed))
    return tuple(out)


def _marker(lines: list[str], fence: int) -> str | None:
    """The `not-run` reason in the comment just above line index `fence` (blank lines may separate them)."""
    i = fence - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    m = MARKER.match(lines[i]) if i >= 0 else None
    if not m:
        return None
    kind, reason = m.group(1), m.group(2).strip()
    if kind == "not-run":
        return reason or "(no reason given)"
    return None


def all_blocks(drafts: bool = False) -> list[Block]:
    return [b for p in doc_files(drafts) for b in blocks(p)]
