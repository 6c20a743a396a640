"""The background checkpoint writer: snapshots are isolated from training, writes land in order, errors surface."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from yolocls.engine.checkpoint_writer import CheckpointWriter, snapshot
from yolocls.models import load_checkpoint


def ckpt(epoch: int, **extra) -> dict:
    return {"model": {"w": torch.ones(2)}, "yaml": {"nc": 2}, "epoch": epoch, **extra}


def test_a_snapshot_is_unaffected_by_later_in_place_updates():
    opt_state = {"state": {0: {"exp_avg": torch.zeros(3), "step": torch.tensor(1.0)}}, "param_groups": [{"lr": 0.1}]}
    snap = snapshot(opt_state)
    opt_state["state"][0]["exp_avg"].add_(5.0)
    opt_state["state"][0]["step"].add_(1.0)
    assert snap["state"][0]["exp_avg"].tolist() == [0.0, 0.0, 0.0] and snap["state"][0]["step"].item() == 1.0
    assert snap["param_groups"] == [{"lr": 0.1}]


def test_writes_land_in_order_and_whole(tmp_path: Path):
    writer = CheckpointWriter()
    for epoch in range(5):  # each submit waits for the previous write: last.pt ends with the last epoch
        writer.submit(ckpt(epoch, w=torch.full((256, 256), float(epoch))), tmp_path / f"e{epoch}.pt",
                      tmp_path / "last.pt")
    writer.wait()
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["epoch"] == 4 and torch.equal(last["w"], torch.full((256, 256), 4.0))
    assert [load_checkpoint(tmp_path / f"e{e}.pt")["epoch"] for e in range(5)] == list(range(5))
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


def test_a_failed_write_is_raised_in_the_training_thread(tmp_path: Path):
    (tmp_path / "weights").write_text("a file where the weights folder should be")
    writer = CheckpointWriter()
    writer.submit(ckpt(0), tmp_path / "weights" / "last.pt")
    with pytest.raises(OSError):
        writer.wait()
    writer.wait()  # raised once; the writer is usable again
    writer.submit(ckpt(1), tmp_path / "ok.pt")
    writer.wait()
    assert load_checkpoint(tmp_path / "ok.pt")["epoch"] == 1
