"""TFLite backend through LiteRT (ai-edge-litert): fp32, fp16 and full-integer int8 models.

Options: `threads` (interpreter threads, default: all CPUs). Quantised input/output tensors are (de)quantised
with their scale and zero point; a model whose metadata says `softmax_in_graph: false` returns logits and gets
its softmax here, in float.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import _filetype
from .. import metadata as md_io
from .._tf import to_layout
from ..errors import ArtifactError, MetadataError
from ._base import Runtime
from ._registry import register_runtime

METADATA_FILE = "metadata.json"  # the associated file (a zip appended to the flatbuffer) holding the metadata


def read_metadata(path: Path, fmt: str = "tflite") -> dict[str, Any]:
    """The yolocls metadata inside a .tflite (its associated file). A file whose appended zip was cut off is
    truncated, not a model without metadata."""
    try:
        with zipfile.ZipFile(path) as zf:
            return md_io.loads(zf.read(METADATA_FILE))
    except (zipfile.BadZipFile, KeyError):
        if _filetype.has_cut_zip(path):
            raise ArtifactError(path, fmt, "the file is truncated (its metadata, a zip at the end of the file, is "
                                           "cut off)") from None
        raise MetadataError(f"'{path}' has no yolocls metadata (no {METADATA_FILE} associated file); "
                            "re-export it with yolocls") from None


def dequantize(y: np.ndarray, quantization: tuple[float, int]) -> np.ndarray:
    """An integer tensor as float32 through its (scale, zero point); a float tensor as float32."""
    if np.issubdtype(y.dtype, np.integer):
        scale, zero = quantization
        return (y.astype(np.float32) - zero) * scale
    return y.astype(np.float32)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@register_runtime
class TFLiteRuntime(Runtime):
    name = "tflite"
    backend_modules = ("ai_edge_litert.interpreter",)
    suffixes = (".tflite",)
    extra = "tensorflow"
    content = "tflite"

    def delegates(self) -> list[Any]:
        return []

    def load(self) -> None:
        self.litert = litert = self.require("ai_edge_litert.interpreter", "ai-edge-litert")
        if _filetype.kind(self.path) != "tflite":  # another kind of file: Runtime.load_error says which
            raise ValueError("no TFLite flatbuffer identifier (TFL3)")
        threads = int(self.options.get("threads") or os.cpu_count() or 1)
        try:  # the model first: a file cut in its flatbuffer has lost its metadata too, and is truncated
            self.interpreter = litert.Interpreter(model_path=str(self.path), num_threads=threads,
                                                  experimental_delegates=self.delegates() or None)
        except ValueError as e:
            raise ArtifactError(self.path, self.name, f"the file is truncated or damaged (LiteRT: "
                                                      f"{str(e).splitlines()[0][:160]})") from None
        self.metadata = read_metadata(self.path, self.name)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.softmax = not (self.metadata.get("output") or {}).get("softmax_in_graph", True)
        self._threads = threads
        self._inspector = None

    def version(self) -> str:
        from importlib.metadata import version

        return version("ai-edge-litert")

    def _invoke(self, interpreter: Any, x: np.ndarray) -> None:
        x = to_layout(x, self.metadata)
        dtype = self.input["dtype"]
        if np.issubdtype(dtype, np.integer):
            scale, zero = self.input["quantization"]
            info = np.iinfo(dtype)
            x = np.clip(np.round(x / scale + zero), info.min, info.max)
        interpreter.set_tensor(self.input["index"], x.astype(dtype))
        interpreter.invoke()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._invoke(self.interpreter, x)
        y = dequantize(self.interpreter.get_tensor(self.output["index"]), self.output["quantization"])
        y = y.reshape(len(y), -1)
        return softmax(y) if self.softmax else y

    def forward_blocks(self, x: np.ndarray, entries: list[dict]) -> dict[str, np.ndarray]:
        """The block tensors (indices in the block map) from a second interpreter that keeps every intermediate
        tensor (experimental_preserve_all_tensors; it runs LiteRT's builtin kernels, without the default
        XNNPACK delegate, whose fused subgraphs keep no intermediate tensors); int8 ones dequantised."""
        if self._inspector is None:
            it = self.litert.Interpreter(model_path=str(self.path), num_threads=self._threads,
                                         experimental_preserve_all_tensors=True)
            it.allocate_tensors()
            self._inspector = (it, {d["index"]: d for d in it.get_tensor_details()})
        it, details = self._inspector
        self._invoke(it, x)
        return {e["name"]: dequantize(it.get_tensor(int(e["tensor"])), details[int(e["tensor"])]["quantization"])
                for e in entries}
