"""The torchrun worker: `python -m yolocls.engine.ddp_worker ARGS.json`, started once per process by
`distributed.launch()`. It rebuilds the YOLO facade and calls `train()`, which sees RANK/WORLD_SIZE in its
environment. A module of its own: the worker needs the trainer, and the trainer needs `distributed`."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(args_file: str) -> None:
    """Train as one process of the group, with the model source and arguments `launch()` wrote."""
    from .model import YOLO
    from .trainer import train

    spec = json.loads(Path(args_file).read_text())
    train(YOLO(spec["model"]), **spec["kwargs"])


if __name__ == "__main__":
    main(sys.argv[1])
