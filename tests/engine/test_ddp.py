"""Multi-process training through torchrun: two CPU processes (gloo) train one epoch on disjoint shards."""

from __future__ import annotations

from pathlib import Path

from yolocls import YOLO
from yolocls.models import load_checkpoint


def test_two_cpu_processes_train_on_disjoint_data(tiny_digits: Path, tmp_path: Path, monkeypatch):
    log = tmp_path / "samples"
    log.mkdir()
    monkeypatch.setenv("YOLOCLS_SAMPLE_LOG", str(log))  # each rank records the sample indices it trained on
    yolo = YOLO("yolov8n-cls.yaml")
    metrics = yolo.train(data=str(tiny_digits), epochs=1, imgsz=32, batch=16, workers=0, nproc=2,
                         project=str(tmp_path), name="ddp", plots=False)
    seen = {}
    for r in (0, 1):
        lines = (log / f"rank{r}.txt").read_text().split("\n")
        seen[r] = [int(i) for line in lines if line for i in line.split()[1:]]
    assert len(seen[0]) == len(seen[1]) == 60  # 120 train images, 8 per rank per step
    assert not set(seen[0]) & set(seen[1])
    assert set(seen[0]) | set(seen[1]) == set(range(120))
    ck = load_checkpoint(tmp_path / "ddp" / "weights" / "best.pt")
    assert ck["epoch"] == 0 and ck["train_args"]["nproc"] == 2 and len(ck["names"]) == 10
    assert yolo.ckpt_path == tmp_path / "ddp" / "weights" / "best.pt" and 0.0 <= metrics.top1 <= 1.0
