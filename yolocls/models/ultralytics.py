"""Import Ultralytics classification checkpoints without Ultralytics, without torchvision, and without running them.

An Ultralytics `best.pt`/`last.pt` is a whole pickled `ultralytics.nn.tasks.ClassificationModel` (fp16 weights,
its YAML as a dict, class names) plus `train_args`; its pickle also names torchvision transform classes. We read
it with `safe_unpickle` over an explicit allow-list (every class becomes an inert record), rebuild our own
`ClassificationModel` with the layers the pickled module tree has (`ultralytics_layers`: what the embedded YAML
builds differs between Ultralytics releases), copy the EMA weights (else the model's) in fp32 and keep where it
came from. The result is a native yolocls checkpoint dict, so every command accepts either file.
"""

from __future__ import annotations

import math
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from ..errors import CheckpointError, ConfigError
from .checkpoint import checkpoint_from_model, file_sha256, save_checkpoint
from .classify import ClassificationModel
from .config import scale_from_name
from .parse import BLOCKS
from .safe_unpickle import Record, RefusedGlobalError, load_pickled_checkpoint, numpy_scalar_value
from .ultralytics_layers import check_structure, describe_layers, modules

MODEL_CLASS = "ultralytics.nn.tasks.ClassificationModel"
BLOCK_CLASSES = {  # Ultralytics block -> ours (same names, same sub-module names, same state-dict keys)
    "ultralytics.nn.modules.conv.Conv": "Conv",
    "ultralytics.nn.modules.block.C2f": "C2f",
    "ultralytics.nn.modules.block.Bottleneck": "Bottleneck",
    "ultralytics.nn.modules.block.C3k2": "C3k2",
    "ultralytics.nn.modules.block.C3k": "C3k",
    "ultralytics.nn.modules.block.C2PSA": "C2PSA",
    "ultralytics.nn.modules.block.PSABlock": "PSABlock",
    "ultralytics.nn.modules.block.Attention": "Attention",
    "ultralytics.nn.modules.head.Classify": "Classify",
}
TORCH_LAYERS = [f"torch.nn.modules.{n}" for n in (
    "conv.Conv2d", "batchnorm.BatchNorm2d", "activation.SiLU", "linear.Identity", "linear.Linear",
    "dropout.Dropout", "pooling.AdaptiveAvgPool2d", "container.Sequential", "container.ModuleList")]
# Classes that may appear beside the model and are kept as inert records (never used for inference).
OTHER_RECORDS = [
    *(f"torchvision.transforms.transforms.{n}" for n in ("Compose", "Resize", "CenterCrop", "ToTensor", "Normalize")),
    "torchvision.transforms.functional.InterpolationMode",
    *(f"ultralytics.data.augment.{n}" for n in ("CenterCrop", "ToTensor", "ClassifyLetterBox")),  # older versions
    "ultralytics.utils.IterableSimpleNamespace",  # model.args in un-stripped checkpoints
    "ultralytics.utils.loss.v8ClassificationLoss",  # model.criterion in older un-stripped checkpoints
    "numpy.dtype", "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",  # best_fitness as a NumPy float
    "pathlib.PosixPath", "pathlib.WindowsPath", "pathlib.Path",
]
ALLOWED_RECORDS = [MODEL_CLASS, *BLOCK_CLASSES, *TORCH_LAYERS, *OTHER_RECORDS]
TASK_MODELS = {
    "DetectionModel": "a detection", "SegmentationModel": "a segmentation", "PoseModel": "a pose",
    "OBBModel": "an oriented-box (OBB) detection", "WorldModel": "a YOLO-World detection",
    "RTDETRDetectionModel": "an RT-DETR detection", "YOLOEModel": "a YOLOE detection",
    "YOLOESegModel": "a YOLOE segmentation",
}
SUPPORTED = ("Ultralytics classification checkpoints of the YOLOv8-, YOLO11- and YOLO26-cls architectures "
             f"(ClassificationModel built from {', '.join(BLOCKS)} blocks: yolov8/yolo11/yolo26 n/s/m/l/x-cls.yaml, "
             "any number of classes)")


def _guard(path: Path):
    """Turn a refused global into an error that says what the file is, when the name tells us."""

    def check(name: str) -> None:
        module, _, cls = name.rpartition(".")
        if module == "ultralytics.nn.tasks":
            what = TASK_MODELS.get(cls, f"an Ultralytics '{cls}'")
            raise CheckpointError(f"'{path}' holds {what} model ({name}), not a classification model. "
                                  f"yolocls imports only {SUPPORTED}")
        if module.startswith("ultralytics.nn.modules.") or module.startswith("torch.nn.modules."):
            raise CheckpointError(f"'{path}' is an Ultralytics model built with '{cls}' ({name}), which yolocls "
                                  f"does not have; yolocls imports only {SUPPORTED}")

    return check


def read_ultralytics_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint's top-level dict, with every pickled object as an inert `Record`. Nothing in it runs."""
    path = Path(path)
    try:
        raw = load_pickled_checkpoint(path, ALLOWED_RECORDS, guard=_guard(path))
    except RefusedGlobalError as e:
        raise CheckpointError(
            f"refused to load '{path}': its pickle names '{e.name}', which is not on the allow-list for an "
            f"Ultralytics classification checkpoint, so loading it could run code. Nothing from the file was "
            f"executed or imported. Only load checkpoints you trust, and re-save this one from its source") from None
    except (pickle.UnpicklingError, zipfile.BadZipFile, KeyError, EOFError, RuntimeError, TypeError,
            ValueError, AttributeError) as e:
        raise CheckpointError(f"'{path}' looks like an Ultralytics checkpoint but cannot be read ({e}); "
                              f"is it truncated? Re-copy it from where it was trained") from None
    if not isinstance(raw, dict):
        raise CheckpointError(f"'{path}' holds a pickled {type(raw).__name__}, not an Ultralytics checkpoint dict")
    return raw


def state_dict(rec: Record) -> dict[str, torch.Tensor]:
    """The state dict the pickled module tree would give: parameters and persistent buffers, in fp32."""
    out: dict[str, torch.Tensor] = {}
    for path, m in modules(rec):
        skip = set(m.get("_non_persistent_buffers_set") or ())
        tensors = {**(m.get("_parameters") or {}), **{k: v for k, v in (m.get("_buffers") or {}).items()
                                                      if k not in skip}}
        for k, v in tensors.items():
            if isinstance(v, torch.Tensor):
                out[f"{path}.{k}" if path else k] = v.float() if v.is_floating_point() else v.clone()
    return out


def plain(x: Any) -> Any:
    """`x` as plain data (what a safe checkpoint may hold): records become numbers, strings or dicts."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, dict):
        return {plain(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, (set, frozenset)):
        return sorted((plain(v) for v in x), key=str)
    if isinstance(x, torch.Tensor):
        return x.item() if x.numel() == 1 else x.tolist()
    if isinstance(x, Record):
        if x.name == "scalar" and len(x.args) == 2 and isinstance(x.args[0], Record):
            return numpy_scalar_value(x.args[0], x.args[1])
        if x.global_name.startswith("pathlib."):
            return "/".join(str(a) for a in x.args)
        if x.name == "IterableSimpleNamespace" and isinstance(x.state, dict):
            return plain(x.state)
        return f"<{x.global_name}>"
    return None


def _scale(yaml: dict[str, Any], first_conv: torch.Tensor | None) -> str | None:
    """The scale letter: the YAML's, else its file name's (`yolov8s-cls.yaml`), else the one whose width fits."""
    if yaml.get("scale"):
        return str(yaml["scale"])
    named = scale_from_name(str(yaml.get("yaml_file", "")))
    if named:
        return named
    if first_conv is not None and yaml.get("scales"):
        c = yaml["backbone"][0][3][0]
        for s, (_, width, max_ch) in yaml["scales"].items():
            if math.ceil(min(c, max_ch) * width / 8) * 8 == first_conv.shape[0]:
                return str(s)
    return None


def _our_config(yaml: dict[str, Any], rec: Record, state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    """Our config for the pickled model: its layers as they are (see `ultralytics_layers`), named and scaled as
    its embedded YAML says, plus the BatchNorm and dropout settings the pickled layers used."""
    src = plain(yaml)
    yaml_layers = list(src.get("backbone") or []) + list(src.get("head") or [])
    unknown = sorted({str(layer[2]) for layer in yaml_layers if str(layer[2]) not in BLOCKS})
    if not yaml_layers or unknown:
        raise CheckpointError(f"'{path}' is an Ultralytics classification model whose YAML uses "
                              f"{', '.join(unknown) or 'no layers'}, which yolocls does not have; "
                              f"yolocls imports only {SUPPORTED}")
    rows = describe_layers(rec, path, SUPPORTED)
    if [str(layer[2]) for layer in yaml_layers] != [row[2] for row in rows]:
        raise CheckpointError(f"'{path}': its embedded YAML lists layers {[str(r[2]) for r in yaml_layers]} but "
                              f"its pickled model has {[r[2] for r in rows]}; the file is inconsistent")
    heads = sum(row[2] == "Classify" for row in rows)
    cfg: dict[str, Any] = {"nc": rows[-1][3][0] if rows[-1][2] == "Classify" else src.get("nc"),
                           "ch": int(state["model.0.conv.weight"].shape[1]) if "model.0.conv.weight" in state
                           else int(src.get("channels", src.get("ch", 3)) or 3),
                           "depth_multiple": 1.0, "width_multiple": 1.0,
                           "backbone": rows[:len(rows) - heads], "head": rows[len(rows) - heads:]}
    if src.get("yaml_file"):
        cfg["yaml_file"] = src["yaml_file"]
    scale = _scale(src, state.get("model.0.conv.weight"))
    if scale:
        cfg["scale"] = scale
    bns = [m for _, m in modules(rec) if m.name == "BatchNorm2d"]
    settings = {(float(m.get("eps", 1e-5)), 0.1 if m.get("momentum", 0.1) is None else float(m.get("momentum")))
                for m in bns}
    if len(settings) > 1:
        raise CheckpointError(f"'{path}' uses several BatchNorm settings {sorted(settings)}; yolocls models use one")
    if settings:
        cfg["bn_eps"], cfg["bn_momentum"] = settings.pop()
    drops = [m for _, m in modules(rec) if m.name == "Dropout"]
    if drops:
        cfg["dropout"] = float(drops[-1].get("p", 0.0))
    return cfg


def convert_ultralytics_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read the Ultralytics checkpoint at `path` safely; return an equivalent native yolocls checkpoint dict."""
    path = Path(path)
    raw = read_ultralytics_checkpoint(path)
    weights = "ema" if isinstance(raw.get("ema"), Record) else "model"
    rec = raw.get(weights)
    if not isinstance(rec, Record) or rec.global_name != MODEL_CLASS:
        raise CheckpointError(f"'{path}' has no pickled Ultralytics ClassificationModel under 'ema' or 'model' "
                              f"(found {type(rec).__name__}); yolocls imports only {SUPPORTED}")
    if not isinstance(rec.get("yaml"), dict):
        raise CheckpointError(f"'{path}': its model has no embedded YAML dict; it may come from a torchvision or "
                              f"custom model, and yolocls imports only {SUPPORTED}")
    state = state_dict(rec)
    try:
        model = ClassificationModel(_our_config(rec.get("yaml"), rec, state, path))
    except (ConfigError, TypeError, ValueError, IndexError, KeyError) as e:
        raise CheckpointError(f"'{path}': its layers do not build a yolocls model ({e}); yolocls imports "
                              f"only {SUPPORTED}") from None
    check_structure(model, rec, path, SUPPORTED)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"'{path}': its weights do not fit the model its layers describe: "
                              f"{str(e).splitlines()[1][:300] if len(str(e).splitlines()) > 1 else e}") from None
    args = plain(raw.get("train_args")) or plain(rec.get("args")) or {}
    if not isinstance(args, dict):
        args = {}
    names = plain(rec.get("names"))
    if isinstance(names, list):
        names = dict(enumerate(names))
    model.names = {int(k): str(v) for k, v in (names or model.names).items()}
    if len(model.names) != model.nc:
        raise CheckpointError(f"'{path}' names {len(model.names)} classes but its head has {model.nc} outputs")
    imgsz = args.get("imgsz") or 224
    model.imgsz = int(max(imgsz) if isinstance(imgsz, list) else imgsz)
    model.args = {**args, "imgsz": model.imgsz}
    epoch = raw.get("epoch")
    provenance = {
        "framework": "Ultralytics", "version": plain(raw.get("version")), "date": plain(raw.get("date")),
        "license": plain(raw.get("license")), "model_class": rec.name, "weights": weights,
        "epoch": epoch if isinstance(epoch, int) else None, "source": path.name, "sha256": file_sha256(path),
    }
    return checkpoint_from_model(model.eval(), epoch=provenance["epoch"] if provenance["epoch"] is not None else -1,
                                 best_fitness=plain(raw.get("best_fitness")), provenance=provenance)


def import_ultralytics(src: str | Path, out: str | Path | None = None) -> Path:
    """Convert the Ultralytics checkpoint `src` and write it as a native yolocls checkpoint (atomically).

    `out` defaults to `<src stem>-yolocls.pt` beside `src`; writing over `src` itself is refused.
    """
    src = Path(src)
    if not src.is_file():
        raise CheckpointError(f"'{src}' does not exist; give the path of an Ultralytics .pt checkpoint")
    dst = Path(out) if out else src.with_name(f"{src.stem}-yolocls.pt")
    if dst.suffix != ".pt":
        raise ConfigError(f"out='{dst}' must end in .pt (a yolocls checkpoint), e.g. --out {dst.stem}.pt")
    if dst.exists() and dst.resolve() == src.resolve():
        raise ConfigError(f"out='{dst}' is the source checkpoint itself; choose another path so the original is kept")
    return save_checkpoint(convert_ultralytics_checkpoint(src), dst)


def import_cli(positional: list[str], args: dict[str, Any]) -> int:
    """`yolocls import ultralytics SRC.pt --out OURS.pt`."""
    usage = "usage: yolocls import ultralytics SRC.pt --out OURS.pt"
    if len(positional) == 1 and positional[0].endswith((".pt", ".pth")):
        positional = ["ultralytics", *positional]
    if len(positional) != 2 or positional[0].lower() != "ultralytics":
        raise ConfigError(f"yolocls import takes a source kind and a file; {usage} "
                          f"(got {' '.join(positional) or 'nothing'}; 'ultralytics' is the only kind)")
    dst = import_ultralytics(positional[1], args.get("out"))
    ckpt = torch.load(dst, map_location="cpu", weights_only=True)  # prove what we wrote loads safely
    p = ckpt["provenance"]
    print(f"Imported Ultralytics {p['version']} {ckpt['yaml'].get('yaml_file', 'model')} ({len(ckpt['names'])} "
          f"classes, imgsz {ckpt['imgsz']}, weights from its '{p['weights']}' entry) from {positional[1]} -> {dst}\n"
          f"Use it like any yolocls checkpoint: yolocls val model={dst}   yolocls export model={dst} format=onnx")
    return 0
