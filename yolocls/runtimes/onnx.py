"""ONNX Runtime backend (CPU, or CUDA when onnxruntime-gpu and a GPU are present)."""

from __future__ import annotations

import ast

import numpy as np

from .. import metadata as md_io
from ..errors import ConfigError, MetadataError
from ._base import Runtime
from ._registry import register_runtime

# The artifact's layout (written by yolocls.exporters._onnx_file): tensor names, and the metadata_props key that
# holds the whole metadata as JSON (Ultralytics-style `names`/`imgsz` keys sit beside it for other tools).
INPUT, OUTPUT = "images", "output0"
DEFAULT_OPSET = 17  # what an ONNX export targets unless opset= says otherwise (the file, and .pt predict's session)
METADATA_KEY = "yolocls"
GRAPH_OPTIMIZATION = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC",
                      "extended": "ORT_ENABLE_EXTENDED", "all": "ORT_ENABLE_ALL"}


@register_runtime
class OnnxRuntime(Runtime):
    """Options: `threads` (intra-op threads; default: ORT's, one per core), `inter_threads`,
    `graph_optimization` (disable | basic | extended | all, default all)."""

    name = "onnx"
    backend_modules = ("onnxruntime",)
    suffixes = (".onnx",)
    extra = "onnx"
    content = "onnx"

    def load(self) -> None:
        self.ort = ort = self.require("onnxruntime")
        so = ort.SessionOptions()
        if self.options.get("threads"):
            so.intra_op_num_threads = int(self.options["threads"])
        if self.options.get("inter_threads"):
            so.inter_op_num_threads = int(self.options["inter_threads"])
        level = str(self.options.get("graph_optimization", "all")).lower()
        if level not in GRAPH_OPTIMIZATION:
            raise ConfigError(f"onnx graph_optimization='{level}' is not valid; use one of {', '.join(GRAPH_OPTIMIZATION)}")
        so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, GRAPH_OPTIMIZATION[level])
        providers = ["CPUExecutionProvider"]
        if self.device not in ("cpu", ""):
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise ConfigError(f"device='{self.device}': this onnxruntime has no CUDA execution provider "
                                  f"(available: {', '.join(ort.get_available_providers())}); use device=cpu, or "
                                  f"install onnxruntime-gpu on a machine with a CUDA GPU")
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(self.path), so, providers=providers)
        self._session_args = (so, providers)
        self._block_session = None
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float16 if "float16" in inp.type else np.float32
        self.metadata = self._read_metadata(self.session.get_modelmeta().custom_metadata_map, inp.shape)

    def _read_metadata(self, props: dict[str, str], shape: list) -> dict:
        if METADATA_KEY in props:
            return md_io.loads(props[METADATA_KEY])
        if "names" in props and "imgsz" in props:  # an Ultralytics export: same preprocessing, fewer keys
            dynamic = not all(isinstance(d, int) for d in shape)
            return md_io.build_metadata(names=ast.literal_eval(props["names"]),
                                        imgsz=ast.literal_eval(props["imgsz"]), fmt="onnx",
                                        batch=1 if dynamic else int(shape[0]), dynamic=dynamic,
                                        precision="fp16" if self.input_dtype == np.float16 else "fp32")
        raise MetadataError(f"'{self.path}' has no yolocls metadata (metadata_props['{METADATA_KEY}']); re-export it "
                            "with yolocls, which records the class names, imgsz and preprocessing")

    def version(self) -> str:
        return self.ort.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: x.astype(self.input_dtype, copy=False)})[0]

    def forward_blocks(self, x: np.ndarray, entries: list[dict]) -> dict[str, np.ndarray]:
        """The block tensors (named in the block map) as extra graph outputs of a second session."""
        names = [e["tensor"] for e in entries]
        if self._block_session is None or self._block_session[0] != names:
            self._block_session = (names, self.ort.InferenceSession(self._with_outputs(names), *self._session_args))
        session = self._block_session[1]
        got = session.run(names, {self.input_name: x.astype(self.input_dtype, copy=False)})
        return {e["name"]: v for e, v in zip(entries, got, strict=True)}

    def _with_outputs(self, tensors: list[str]) -> bytes:
        onnx = self.require("onnx")
        proto = onnx.load(str(self.path))
        produced = {t for n in proto.graph.node for t in n.output}
        missing = [t for t in tensors if t not in produced]
        if missing:
            raise MetadataError(f"'{self.path}' has no tensors {missing[:3]} that its block map names; re-export it")
        elem = onnx.TensorProto.FLOAT16 if self.input_dtype == np.float16 else onnx.TensorProto.FLOAT
        have = {o.name for o in proto.graph.output}
        proto.graph.output.extend(onnx.helper.make_tensor_value_info(t, elem, None) for t in tensors if t not in have)
        return proto.SerializeToString()
