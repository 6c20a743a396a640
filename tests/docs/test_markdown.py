"""README.md and docs/ render as written: fences pair up and name a language, no heading is swallowed by a code
block, the README stays short, and every page of docs/ is in the site's nav."""

from __future__ import annotations

import re

import pytest
import yaml

from .blocks import DOCS, DRAFTS, ROOT, all_blocks, doc_files, markdown

FILES = doc_files(drafts=True)
FENCE_LINE = re.compile(r"^\s*(```|~~~)")


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_fence_closes_and_names_its_language(path) -> None:  # noqa: ANN001
    problems = []
    for b in all_blocks(drafts=True):
        if b.path != path:
            continue
        if not b.closed:
            problems.append(f"line {b.line}: the fence never closes (it runs to the end of the file)")
        if not b.lang:
            problems.append(f"line {b.line}: the fence has no language (```python, ```bash, ```text...)")
        if any(FENCE_LINE.match(ln) for ln in b.code.splitlines()):
            problems.append(f"line {b.line}: a fence line inside the block: an earlier fence is missing its close")
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_no_heading_is_inside_a_code_block(path) -> None:  # noqa: ANN001
    """Every line that reads as a Markdown heading is one once rendered (a missing close fence swallows them)."""
    text = path.read_text()
    tokens = markdown().parse(text)
    rendered = {tok.map[0] for tok in tokens if tok.type == "heading_open"}
    in_code: set[int] = set()
    for tok in tokens:
        if tok.type in ("fence", "code_block"):
            in_code.update(range(tok.map[0] + 1, tok.map[1] - 1))
    swallowed = [i + 1 for i, ln in enumerate(text.splitlines())
                 if re.match(r"^#{2,6} \S", ln) and i not in rendered and i in in_code]
    assert not swallowed, (f"{path.relative_to(ROOT)}: Markdown headings rendered inside a code block at lines "
                           f"{swallowed}: a fence above them does not close where it should")


def test_readme_is_short_and_renders_as_a_page() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 200, "README.md must stay under 200 lines: move detail into docs/"
    html = markdown().render(text)
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert len(headings) >= 4, f"README.md renders only these sections: {headings}"
    assert "<table>" in html, "the demo bench table does not render as a table"


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    cfg = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)  # tolerant of !tags

    def pages(node):  # noqa: ANN001, ANN202
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for x in node:
                yield from pages(x)
        elif isinstance(node, dict):
            for v in node.values():
                yield from pages(v)

    nav = set(pages(cfg["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md") if DRAFTS not in p.parents}
    assert not nav - on_disk, f"nav names pages that do not exist: {sorted(nav - on_disk)}"
    assert not on_disk - nav, f"pages missing from the nav in mkdocs.yml: {sorted(on_disk - nav)}"
    assert "_drafts/" in cfg.get("exclude_docs", ""), "docs/_drafts/ must stay out of the site build"
