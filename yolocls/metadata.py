"""Artifact metadata: the preprocessing contract and provenance that travel with every exported model.

Plain data (no torch): runtimes read it back from wherever the format keeps it (ONNX metadata_props,
TorchScript extra files, OpenVINO rt_info, `metadata.yaml` beside folder formats...).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ._io import write_text
from ._version import __version__
from ._yaml import safe_load
from .data.preprocess import PREPROCESS
from .errors import MetadataError

METADATA_FILE = "metadata.yaml"
BLOCKS_KEY = "blocks"  # the block map: where each block's output is in the artifact (see exporters/_blocks.py)


def build_metadata(*, names: dict[int, str], imgsz: int | list[int], fmt: str, batch: int = 1,
                   dynamic: bool = False, precision: str = "fp32", layout: str = "NCHW",
                   quantization: dict[str, Any] | None = None, source_sha256: str | None = None,
                   source: str | None = None, converters: dict[str, str] | None = None,
                   provenance: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The metadata dict every exporter embeds. `layout` is the layout the artifact's input takes."""
    hw = [int(imgsz), int(imgsz)] if isinstance(imgsz, int) else [int(v) for v in imgsz]
    md: dict[str, Any] = {
        "description": "yolocls YOLOv8 image classifier",
        "task": "classify",
        "format": fmt,
        "names": {int(k): str(v) for k, v in names.items()},
        "imgsz": hw,
        "batch": int(batch),
        "dynamic": bool(dynamic),
        "stride": 32,
        "precision": precision,
        "quantization": quantization,
        "preprocess": {**PREPROCESS, "layout": layout, "imgsz": hw},
        "output": {"kind": "probabilities", "softmax_in_graph": True},
        "source": {"checkpoint": source, "sha256": source_sha256},
        "versions": {"yolocls": __version__, **(converters or {})},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if provenance:
        md["provenance"] = provenance
    md.update(extra)
    return md


def dumps(md: dict[str, Any]) -> str:
    """Serialise as JSON (a subset of YAML, so one reader serves both)."""
    return json.dumps(md, sort_keys=False)


def loads(text: str | bytes) -> dict[str, Any]:
    try:  # what dumps() writes: JSON, read by the JSON parser (YAML's pure-Python one took 0.3 s per load)
        md = json.loads(text)
    except ValueError:  # metadata.yaml as YAML (written by write_metadata_file, or by hand)
        md = safe_load(text)
    if not isinstance(md, dict):
        raise MetadataError("the artifact's yolocls metadata is not a mapping; re-export it with yolocls")
    md["names"] = {int(k): str(v) for k, v in (md.get("names") or {}).items()}
    return md


def write_metadata_file(folder: str | Path, md: dict[str, Any]) -> Path:
    """`metadata.yaml` beside a folder format's files."""
    plain = json.loads(dumps(md))  # str subclasses (torch.__version__) and tuples -> plain YAML types
    return write_text(Path(folder) / METADATA_FILE, yaml.safe_dump(plain, sort_keys=False))


def read_metadata_file(folder: str | Path) -> dict[str, Any]:
    p = Path(folder) / METADATA_FILE
    if not p.is_file():
        raise MetadataError(f"'{p}' is missing: the artifact has no yolocls metadata; re-export it with yolocls")
    return loads(p.read_text())


def block_map(md: dict[str, Any]) -> list[dict[str, Any]]:
    """The artifact's block map entries (network order), or [] when it was exported without one."""
    return list((md.get(BLOCKS_KEY) or {}).get("points") or [])
