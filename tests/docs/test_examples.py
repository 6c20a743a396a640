"""Every fenced block of README.md and docs/ runs against the shared workspace, or says why it cannot here."""

from __future__ import annotations

import pytest

from .blocks import RUNNABLE, Block, all_blocks
from .conftest import record

BLOCKS = all_blocks()


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_example_runs_or_says_why_not(block: Block, runner) -> None:  # noqa: ANN001
    if block.not_run is not None:
        assert block.not_run != "(no reason given)", f"{block.id}: a not-run comment must say why"
        pytest.skip(f"not runnable here: {block.not_run}")
    assert block.lang in RUNNABLE, (f"{block.id}: a `{block.lang or 'no language'}` block cannot be run; mark it "
                                    f"<!-- not-run: why --> or use one of {', '.join(RUNNABLE)}")
    outcome = runner.outcome(block)
    record(block, outcome.seconds)
    assert outcome.ok, f"{block.id} ({block.lang}) failed:\n{block.code}\n--- output ---\n{outcome.output[-6000:]}"
