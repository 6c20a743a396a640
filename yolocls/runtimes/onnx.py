"""ONNX Runtime backend (CPU, or CUDA when onnxruntime-gpu and a GPU are present)."""

from __future__ import annotations

import numpy as np

from .. import metadata as md_io
from ..errors import MissingDependencyError
from ._base import Runtime
from ._registry import register_runtime


@register_runtime
class OnnxRuntime(Runtime):
    """Options: `threads` (intra-op threads, default: ORT's), `graph_optimization` (disable|basic|extended|all)."""

    name = "onnx"
    suffixes = (".onnx",)
    extra = "onnx"

    def load(self) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise MissingDependencyError("onnx", "onnxruntime", "onnx") from None
        self.ort = ort
        so = ort.SessionOptions()
        if self.options.get("threads"):
            so.intra_op_num_threads = int(self.options["threads"])
        level = self.options.get("graph_optimization", "all")
        so.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[level]
        providers = ["CPUExecutionProvider"]
        if self.device not in ("cpu", "") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(self.path), so, providers=providers)
        meta = self.session.get_modelmeta().custom_metadata_map
        if "yolocls" not in meta:
            raise ValueError(f"'{self.path}' has no yolocls metadata (metadata_props['yolocls']); re-export it with yolocls")
        self.metadata = md_io.loads(meta["yolocls"])
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float16 if "float16" in inp.type else np.float32

    def version(self) -> str:
        return self.ort.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: x.astype(self.input_dtype, copy=False)})[0]
