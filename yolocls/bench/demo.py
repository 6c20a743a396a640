"""The built-in demo model: yolov8n-cls trained a few epochs on the offline `digits` dataset, trained once and
cached, so `yolocls-bench` with no `--model` shows a meaningful table on a fresh machine.

Cached in $YOLOCLS_HOME/demo/ (default ~/.cache/yolocls/demo/), keyed by the yolocls version and the recipe.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from .._io import move_into_place, temp_folder

# Digits are tiny and orientation matters: no flips, no RandAugment, no erasing (the trainer's ImageNet-style
# defaults left 5 epochs at 42% top-1), and a short warm-up for a short run.
RECIPE: dict[str, Any] = {"model": "yolov8n-cls.yaml", "data": "digits", "epochs": 8, "imgsz": 32, "batch": 64,
                          "seed": 0, "fliplr": 0.0, "auto_augment": "none", "erasing": 0.0, "warmup_epochs": 1}
TRAIN_TIMEOUT_S = 3600


def home() -> Path:
    """yolocls' cache folder: $YOLOCLS_HOME, else ~/.cache/yolocls."""
    from ..settings import home as cache_home

    return cache_home()


def demo_dir(recipe: dict[str, Any] | None = None) -> Path:
    from .._version import __version__

    r = recipe or RECIPE
    key = hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest()[:10]
    return home() / "demo" / f"{Path(r['model']).stem}-{r['data']}-v{__version__}-{key}"


def demo_path(recipe: dict[str, Any] | None = None) -> Path:
    """Where the demo checkpoint is (or will be) cached."""
    return demo_dir(recipe) / "weights" / "best.pt"


def train_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train the recipe into job['project']/demo (run in a child forked from the torch fork server)."""
    from ..engine.model import YOLO

    r = dict(job["recipe"])
    try:
        YOLO(r.pop("model")).train(**r, project=job["project"], name="demo", exist_ok=True, plots=False,
                                   verbose=False)
    except Exception as e:
        from .child import one_line

        return {"status": "failed", "reason": one_line(e)}
    return {"status": "ok"}


def demo_checkpoint(verbose: bool = True, recipe: dict[str, Any] | None = None) -> Path:
    """The cached demo checkpoint; trains it first (once, about a minute) when it is not cached yet."""
    from ..errors import YoloclsError
    from . import isolation

    r = recipe or RECIPE
    final = demo_dir(r)
    ckpt = demo_path(r)
    if ckpt.is_file():
        return ckpt
    final.parent.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"Training the demo model once ({r['model']} on {r['data']}, {r['epochs']} epochs at imgsz "
              f"{r['imgsz']}); cached in {final}", file=sys.stderr)
    tmp = temp_folder(final)
    try:
        job = {"recipe": r, "project": str(tmp), "result": str(tmp / "result.json")}
        oc = isolation.forked(train_job, job, TRAIN_TIMEOUT_S, tmp / "train.log")
        res = oc.result or {"reason": oc.failure("demo training", TRAIN_TIMEOUT_S, tmp / "train.log")}
        trained = tmp / "demo" / "weights" / "best.pt"
        if res.get("status") != "ok" or not trained.is_file():
            raise YoloclsError(f"could not train the demo model: {res.get('reason') or 'no best.pt written'}; "
                               f"pass --model with a checkpoint of your own")
        # atomic: a half-trained demo is never cached; when another run cached one first, theirs is kept
        move_into_place(tmp / "demo", final, replace=False)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ckpt
