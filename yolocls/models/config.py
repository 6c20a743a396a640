"""Resolve a model name or YAML path (`yolov8s-cls.yaml`) to a config dict with its scale."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

CFG_DIR = Path(__file__).parent / "cfg"
SCALES = "nsmlx"
FAMILIES = ("yolov8", "yolo11", "yolo26")  # each has cfg/<family>-cls.yaml
_NAME = re.compile(rf"^({'|'.join(FAMILIES)})([{SCALES}])?-cls(\.yaml)?$")
_STEM = re.compile(rf"({'|'.join(FAMILIES)})([{SCALES}])-cls")


def builtin_names() -> list[str]:
    """Every model name that resolves without a file of the user's."""
    return [f"{f}{s}-cls.yaml" for f in FAMILIES for s in SCALES]


def scale_from_name(name: str) -> str | None:
    """The scale letter a model file name carries (`yolo11s-cls.yaml` -> 's'), or None."""
    m = _STEM.search(name)
    return m.group(2) if m else None


def load_model_cfg(cfg: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Return the model config as a dict, with `scale` set.

    `cfg` is a dict (returned as a copy), a built-in name such as `yolov8n-cls.yaml` or `yolo11s-cls.yaml` (the
    scale letter picks the scale), or the path of a YAML file of the same shape.
    """
    if isinstance(cfg, dict):
        d = copy.deepcopy(cfg)
    else:
        name = Path(str(cfg)).name
        m = _NAME.match(name)
        path = Path(cfg)
        if m and not path.is_file():
            family = m.group(1)
            d = yaml.safe_load((CFG_DIR / f"{family}-cls.yaml").read_text())
            d["scale"] = m.group(2) or "n"
            d["yaml_file"] = f"{family}{d['scale']}-cls.yaml"
        elif path.is_file():
            try:
                d = yaml.safe_load(path.read_text())
            except yaml.YAMLError as e:
                raise ConfigError(f"model YAML '{path}' is not valid YAML: {e}") from e
            if not isinstance(d, dict) or "backbone" not in d:
                raise ConfigError(f"model YAML '{path}' has no 'backbone' list; see {CFG_DIR / 'yolov8-cls.yaml'}")
            d.setdefault("yaml_file", path.name)
            if "scale" not in d and scale_from_name(path.stem):
                d["scale"] = scale_from_name(path.stem)
        else:
            raise ConfigError(
                f"model '{cfg}' is neither a file nor a built-in model; use a built-in name <family><scale>-cls.yaml "
                f"(family {', '.join(FAMILIES)}; scale {', '.join(SCALES)}: e.g. yolov8n-cls.yaml, yolo11s-cls.yaml), "
                "a model YAML path, or a .pt checkpoint"
            )
    scales = d.get("scales")
    if scales:
        scale = d.get("scale") or next(iter(scales))
        if scale not in scales:
            raise ConfigError(f"unknown scale '{scale}' for model '{d.get('yaml_file', cfg)}'; valid: {', '.join(scales)}")
        d["scale"] = scale
    return d
