"""What a file holds, from its first bytes: the clue that turns "the runtime could not parse it" into "this is a
PyTorch checkpoint, not an ONNX model" or "this ONNX model is truncated". Dependency-free; reads at most a few KB
(and a zip's table of contents).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# kind -> how a message names it
KINDS = {
    "empty": "an empty file (0 bytes)",
    "checkpoint": "a PyTorch checkpoint (.pt)",
    "torchscript": "a TorchScript module",
    "zip": "a zip archive",
    "onnx": "an ONNX model",
    "tflite": "a TFLite model",
    "xml": "an XML file",
    "json": "a JSON file",
    "yaml": "a YAML file",
    "hdf5": "an HDF5 (Keras) file",
    "pickle": "a Python pickle",
    "ncnn_param": "an ncnn .param file",
    "image": "an image",
    "text": "a text file",
}


def kind(path: str | Path) -> str | None:
    """The kind of content in `path` (a key of KINDS), or None when nothing known matches (random bytes)."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    if not head:
        return "empty"
    if head[:4] == b"PK\x03\x04":
        return _zip_kind(p)
    if head[4:8] == b"TFL3":
        return "tflite"
    if head[:4] == b"\x89HDF":
        return "hdf5"
    if head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:4] in (b"GIF8", b"RIFF"):
        return "image"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    text = head.lstrip()
    if text.startswith((b"<?xml", b"<net")):
        return "xml"
    if text.startswith(b"7767517"):
        return "ncnn_param"
    if text.startswith((b"{", b"[")):
        return "json"
    if head[:1] == b"\x08" and any(w in head[:256] for w in (b"pytorch", b"onnx", b"ai.onnx", b"skl2onnx")):
        return "onnx"
    if _is_text(head):
        return "yaml" if b":" in head.split(b"\n", 1)[0] else "text"
    return None


def describe(k: str | None) -> str:
    """How a message names a kind."""
    return KINDS.get(k or "", "not a file of any kind yolocls knows")


def zip_is_complete(path: str | Path) -> bool:
    """True when `path` is a zip whose table of contents is there (a truncated zip has lost it)."""
    try:
        with zipfile.ZipFile(path):
            return True
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def has_cut_zip(path: str | Path, window: int = 1 << 16) -> bool:
    """True when the last `window` bytes hold a zip member header but the zip's table of contents is gone:
    a file whose appended zip (TFLite's metadata) was cut off."""
    p = Path(path)
    try:
        size = p.stat().st_size
        with open(p, "rb") as f:
            f.seek(max(0, size - window))
            tail = f.read()
    except OSError:
        return False
    return b"PK\x03\x04" in tail and b"PK\x05\x06" not in tail


def _zip_kind(p: Path) -> str:
    try:
        with zipfile.ZipFile(p) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"  # a zip header without its table of contents: a truncated zip (checkpoint or TorchScript)
    if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
        return "torchscript"
    if any(n.endswith("data.pkl") for n in names):
        return "checkpoint"
    return "zip"


def _is_text(head: bytes) -> bool:
    try:
        head[:512].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 9 for b in head[:512])
