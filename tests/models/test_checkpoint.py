import os
import pickle

import pytest
import torch

from yolocls import YOLO
from yolocls.errors import CheckpointError
from yolocls.models import (
    ClassificationModel,
    checkpoint_from_model,
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
)


def _model(nc=10):
    torch.manual_seed(0)
    m = ClassificationModel("yolov8n-cls.yaml", nc=nc).eval()
    m.names = {i: f"class{i}" for i in range(nc)}
    m.imgsz = 64
    return m


def test_round_trip_gives_identical_outputs_and_loads_weights_only(tmp_path):
    m = _model()
    p = save_checkpoint(checkpoint_from_model(m, epoch=3), tmp_path / "best.pt")
    raw = torch.load(p, weights_only=True)  # plain data only
    assert raw["epoch"] == 3 and raw["names"][2] == "class2" and raw["format"].startswith("yolocls")
    m2 = model_from_checkpoint(load_checkpoint(p))
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(m(x), m2(x))
    assert m2.names == m.names and m2.imgsz == 64
    y = YOLO(p)
    assert y.names[9] == "class9" and y.imgsz == 64


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    p = save_checkpoint(checkpoint_from_model(_model()), tmp_path / "w" / "last.pt")
    save_checkpoint(checkpoint_from_model(_model()), p)  # overwrite in place
    assert sorted(os.listdir(p.parent)) == ["last.pt"]


def test_failed_save_keeps_previous_checkpoint(tmp_path):
    p = save_checkpoint(checkpoint_from_model(_model()), tmp_path / "last.pt")
    before = p.read_bytes()

    class Unsaveable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        save_checkpoint({"model": {}, "yaml": {}, "bad": Unsaveable()}, p)
    assert p.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["last.pt"]


def test_missing_empty_truncated_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load_checkpoint(tmp_path / "empty.pt")
    good = save_checkpoint(checkpoint_from_model(_model()), tmp_path / "good.pt").read_bytes()
    (tmp_path / "trunc.pt").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="truncated or damaged"):
        load_checkpoint(tmp_path / "trunc.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a yolocls checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "PWNED"
    p = tmp_path / "evil.pt"
    torch.save({"model": {}, "yaml": {}, "payload": _Evil(marker)}, p)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(p)
    with pytest.raises(CheckpointError):
        YOLO(p)
    assert not marker.exists()
    # the same payload through plain pickle would have run: prove the test can fail
    pickle.loads(pickle.dumps(_Evil(marker)))
    assert marker.exists()


def test_load_transfers_matching_tensors_and_reports_count(tmp_path, capsys):
    big = _model(nc=1000)
    p = save_checkpoint(checkpoint_from_model(big), tmp_path / "imagenet.pt")
    small = YOLO("yolov8n-cls.yaml")
    small.model = ClassificationModel("yolov8n-cls.yaml", nc=10)
    small.load(p)
    n, total = small.transferred
    assert total - n == 2  # only the Linear weight and bias differ in shape
    assert f"Transferred {n}/{total} items" in capsys.readouterr().out
    assert torch.equal(small.model.model[0].conv.weight, big.model[0].conv.weight)
