"""Fixtures of the docs tests: one workspace every example starts from, and the background runner.

The workspace holds what the pages say a reader has: `best.pt` (the session's tiny digits model, imgsz 32),
`best.onnx` exported from it, `image.jpg` and `images/`, `ultralytics-best.pt` (a real Ultralytics 8.4.190
checkpoint from the shared fixtures) and `datasets/` (the session's datasets folder, `digits` already written).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ..conftest import FIXTURES
from .blocks import RUNNABLE, Block, all_blocks
from .runner import Runner

_SELECTED: list[Block] = []
_OUTCOMES: dict[str, float] = {}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Remember which examples this session runs (after -k/-m deselection), so the runner starts only those."""
    _SELECTED.clear()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and isinstance(callspec.params.get("block"), Block) and item.name.startswith("test_example"):
            b = callspec.params["block"]
            if b.not_run is None and b.lang in RUNNABLE:
                _SELECTED.append(b)


pytest_collection_modifyitems.trylast = True  # type: ignore[attr-defined]  # after -k/-m have deselected


@pytest.fixture(scope="session")
def docs_workspace(digits_ckpt: Path, digits_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    from yolocls import YOLO

    ws = tmp_path_factory.mktemp("docs") / "workspace"
    ws.mkdir()
    shutil.copy(digits_ckpt, ws / "best.pt")
    YOLO(ws / "best.pt").export(format="onnx")
    val = sorted((digits_root / "val").rglob("*.png"))
    (ws / "images").mkdir()
    for i, p in enumerate(val[::72][:5]):
        Image.open(p).convert("RGB").resize((64, 64), Image.BILINEAR).save(ws / "images" / f"{i:04d}.jpg", quality=95)
    shutil.copy(ws / "images" / "0000.jpg", ws / "image.jpg")
    ul = FIXTURES / "ultralytics" / "yolov8n-cls-digits.pt"
    if ul.is_file():
        shutil.copy(ul, ws / "ultralytics-best.pt")
    os.symlink(digits_root.parent, ws / "datasets")
    return ws


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
