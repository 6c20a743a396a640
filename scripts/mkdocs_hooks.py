"""MkDocs hook: fill every `<!-- snippet: NAME -->` with its generated text (scripts/docs_snippets.py) at build
time, so the CLI reference, the format table and the measured figures on the site cannot drift from their source."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
for p in (HERE, HERE.parent):  # the checkout's yolocls, not some installed copy
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import docs_snippets  # noqa: E402


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return docs_snippets.expand(markdown)
