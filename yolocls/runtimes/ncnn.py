"""ncnn backend for `<stem>_ncnn_model/`: one CHW image per extractor call, looped over the batch."""

from __future__ import annotations

import numpy as np

from .. import _filetype
from .. import metadata as md_io
from ..errors import ArtifactError, ArtifactMissingError
from ._base import Runtime
from ._registry import register_runtime

PARAM_FILE, BIN_FILE = "model.ncnn.param", "model.ncnn.bin"  # beside metadata.yaml in the folder


@register_runtime
class NcnnRuntime(Runtime):
    """Options: `threads` (default: ncnn's, the physical cores); `fp16` (fp16 storage and arithmetic, ncnn's own default; off
    here so fp32 artifacts match PyTorch to ~1e-8 instead of ~1e-6)."""

    name = "ncnn"
    backend_modules = ("ncnn",)
    suffixes = ("_ncnn_model",)
    extra = "ncnn"
    folder = True

    def load(self) -> None:
        self.ncnn = ncnn = self.require("ncnn")
        for name in (PARAM_FILE, BIN_FILE):
            if not (self.path / name).is_file():
                raise ArtifactMissingError(self.path / name, self.name, "the file is missing")
        if _filetype.kind(self.path / PARAM_FILE) != "ncnn_param":  # ncnn would read it anyway, and may crash
            raise ArtifactError(self.path / PARAM_FILE, self.name, "the file is not an ncnn .param file (its first "
                                                                   "line should be the magic number 7767517)")
        self.metadata = md_io.read_metadata_file(self.path)
        fp16 = bool(self.options.get("fp16", False))
        net = ncnn.Net()
        if self.options.get("threads"):  # else ncnn's default: the physical (big) cores
            net.opt.num_threads = int(self.options["threads"])
        net.opt.use_vulkan_compute = False
        net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = fp16
        for name, load in ((PARAM_FILE, net.load_param), (BIN_FILE, net.load_model)):
            if load(str(self.path / name)) != 0:
                raise ArtifactError(self.path / name, self.name, "ncnn could not read it: the file is truncated or "
                                                                 "damaged, or from another ncnn version")
        self.net = net
        self.input_name, self.output_name = net.input_names()[0], net.output_names()[0]

    @property
    def precision(self) -> str:
        return "fp16" if self.options.get("fp16") else super().precision

    @property
    def dynamic(self) -> bool:
        return False

    def version(self) -> str:
        return self.ncnn.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = []
        for img in x:
            ex = self.net.create_extractor()
            ex.input(self.input_name, self.ncnn.Mat(np.ascontiguousarray(img)))
            ret, y = ex.extract(self.output_name)
            if ret != 0:
                raise RuntimeError(f"ncnn extract('{self.output_name}') failed with code {ret} on '{self.path}'")
            out.append(np.array(y).reshape(-1))
        return np.stack(out)
