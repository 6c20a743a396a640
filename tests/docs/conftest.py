"""Fixtures of the docs tests: one workspace every example starts from (see `runner.make_workspace`), and the
background runner."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from .blocks import RUNNABLE, Block, all_blocks
from .runner import Runner, make_workspace

_SELECTED: list[Block] = []
_OUTCOMES: dict[str, float] = {}


@pytest.hookimpl(trylast=True)  # after -k/-m have deselected
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Remember which examples this session runs (after -k/-m deselection), so the runner starts only those."""
    _SELECTED.clear()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and isinstance(callspec.params.get("block"), Block) and item.name.startswith("test_example"):
            b = callspec.params["block"]
            if b.not_run is None and b.lang in RUNNABLE:
                _SELECTED.append(b)


@pytest.fixture(scope="session")
def docs_workspace(digits_ckpt: Path, digits_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("docs") / "workspace", digits_ckpt, digits_root)


@pytest.fixture(scope="session")
def runner(docs_workspace: Path):
    r = Runner(docs_workspace, _SELECTED, workers=min(2, os.cpu_count() or 1))
    yield r
    r.close()


def record(block: Block, seconds: float) -> None:
    _OUTCOMES[block.id] = seconds


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    """The count of examples run and of those marked not runnable here, with the reasons."""
    if not _OUTCOMES and not _SELECTED:
        return
    blocks = all_blocks()
    skipped = Counter(b.not_run for b in blocks if b.not_run is not None)
    tr = terminalreporter
    tr.section("documented examples")
    tr.write_line(f"{len(_OUTCOMES)} run ({sum(_OUTCOMES.values()):.0f} s of block time), "
                  f"{sum(skipped.values())} marked not runnable here:")
    for reason, n in sorted(skipped.items(), key=lambda t: -t[1]):
        tr.write_line(f"  {n} x {reason}")
    slowest = sorted(_OUTCOMES.items(), key=lambda t: -t[1])[:8]
    tr.write_line("slowest: " + ", ".join(f"{k} {v:.0f} s" for k, v in slowest))
