"""Opening any checkpoint yolocls accepts: its own (`torch.load(weights_only=True)`, plain data only), or an
Ultralytics one, converted on the fly through the restricted unpickler. Above both formats' modules, so
neither imports the other."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from .. import _filetype
from ..errors import CheckpointError
from .safe_unpickle import pickle_globals
from .ultralytics import convert_ultralytics_checkpoint


def is_ultralytics_checkpoint(path: str | Path) -> bool:
    """True when the pickle inside `path` names Ultralytics classes (a whole pickled Ultralytics model).

    Only the globals the pickle names count (read with pickletools, nothing runs): the word in a string, such as
    a data path or the provenance of an imported checkpoint, does not make a file an Ultralytics checkpoint.
    """
    try:
        with zipfile.ZipFile(path) as z:
            pkl = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
            data = z.read(pkl) if pkl is not None else b""
            return b"ultralytics" in data and any(g.startswith("ultralytics.") for g in pickle_globals(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a yolocls checkpoint with `torch.load(weights_only=True)`; never unpickles arbitrary objects.

    Ultralytics checkpoints are converted on the fly by `yolocls.models.ultralytics` (restricted unpickler).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist; check the path, or train one with "
                              f"'yolocls train data=digits model=yolov8n-cls.yaml'")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint '{path}' is empty (0 bytes); re-save or re-download it")
    kind = _filetype.kind(path)
    if kind == "torchscript":
        raise CheckpointError(f"'{path}' is a TorchScript module, not a checkpoint; load it as TorchScript by naming "
                              f"it {path.stem}.torchscript")
    if kind not in ("checkpoint", "zip", "pickle"):  # torch.load would call it a pickle it refuses to run
        what = f"is {_filetype.describe(kind)}" if kind else "holds bytes of no format yolocls knows"
        raise CheckpointError(f"'{path}' is not a PyTorch checkpoint: the file {what} (renamed, or damaged?). A .pt "
                              f"must be a checkpoint saved by yolocls or Ultralytics")
    if is_ultralytics_checkpoint(path):
        return convert_ultralytics_checkpoint(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise CheckpointError(
            f"refused to load '{path}': its pickle names objects beyond tensors and plain data, so loading it "
            f"could run code ({str(e).splitlines()[0][:200]}). Only yolocls checkpoints (and Ultralytics ones, "
            f"through the restricted importer) are accepted") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
        cause = (str(e).strip().splitlines() or [type(e).__name__])[0].split(". ")[0][:160]
        damaged = "truncated or damaged" if kind == "zip" or not _filetype.zip_is_complete(path) else "unreadable"
        raise CheckpointError(f"'{path}' is {damaged}: torch could not read the checkpoint ({cause}); re-save or "
                              f"re-download it") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "yaml" not in ckpt:
        raise CheckpointError(f"'{path}' is a PyTorch file but not a yolocls checkpoint (no 'model'/'yaml' keys); "
                              f"to reuse its weights use YOLO('yolov8n-cls.yaml').load('{path}')")
    return ckpt
