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
_NAME = re.compile(r"^yolov8([nsmlx])?-cls(\.yaml)?$")


def builtin_names() -> list[str]:
    """Every model name that resolves without a file of the user's."""
    return [f"yolov8{s}-cls.yaml" for s in SCALES]


def load_model_cfg(cfg: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Return the model config as a dict, with `scale` set.

    `cfg` is a dict (returned as a copy), a built-in name such as `yolov8n-cls.yaml` (the scale letter
    picks the scale), or the path of a YAML file of the same shape.
    """
    if isinstance(cfg, dict):
        d = copy.deepcopy(cfg)
    else:
        name = Path(str(cfg)).name
        m = _NAME.match(name)
        path = Path(cfg)
        if m and not path.is_file():
            d = yaml.safe_load((CFG_DIR / "yolov8-cls.yaml").read_text())
            d["scale"] = m.group(1) or "n"
            d["yaml_file"] = f"yolov8{d['scale']}-cls.yaml"
        elif path.is_file():
            try:
                d = yaml.safe_load(path.read_text())
            except yaml.YAMLError as e:
                raise ConfigError(f"model YAML '{path}' is not valid YAML: {e}") from e
            if not isinstance(d, dict) or "backbone" not in d:
                raise ConfigError(f"model YAML '{path}' has no 'backbone' list; see {CFG_DIR / 'yolov8-cls.yaml'}")
            d.setdefault("yaml_file", path.name)
            sm = re.search(r"yolov8([nsmlx])-cls", path.stem)
            if "scale" not in d and sm:
                d["scale"] = sm.group(1)
        else:
            raise ConfigError(
                f"model '{cfg}' is neither a file nor a built-in model; use one of {', '.join(builtin_names())}, "
                "a model YAML path, or a .pt checkpoint"
            )
    scales = d.get("scales")
    if scales:
        scale = d.get("scale") or next(iter(scales))
        if scale not in scales:
            raise ConfigError(f"unknown scale '{scale}' for model '{d.get('yaml_file', cfg)}'; valid: {', '.join(scales)}")
        d["scale"] = scale
    return d
