"""TensorRT backend for `.engine` files: execution on CUDA buffers (torch CUDA tensors hold them).

UNVERIFIED on this project's machines: TensorRT cannot be installed there (no NVIDIA package index, no GPU).
Written against the TensorRT 10/11 Python API (named I/O tensors, `execute_async_v3`).

File layout (as Ultralytics writes it): 4-byte little-endian length, that many bytes of JSON metadata, then the
serialized engine.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .. import metadata as md_io
from ..errors import MetadataError, MissingDependencyError, PlatformNotSupportedError, ShapeError
from ._base import Runtime
from ._registry import register_runtime

TENSORRT_INSTALL = ("pip install tensorrt --extra-index-url https://pypi.nvidia.com (on a machine with an NVIDIA "
                    "GPU and its CUDA driver; the libraries come only from NVIDIA's index)")
HEADER_BYTES = 4
MAX_HEADER = 1 << 20  # metadata is a few KB; a larger length means the file has no header
TORCH_DTYPES = {"FLOAT": "float32", "HALF": "float16", "BF16": "bfloat16", "INT8": "int8", "INT32": "int32"}


def engine_bytes(md: dict[str, Any], plan: bytes) -> bytes:
    """Header + serialized engine."""
    head = md_io.dumps(md).encode()
    return len(head).to_bytes(HEADER_BYTES, "little", signed=True) + head + plan


def split_engine_bytes(data: bytes, path: str | Path = "engine") -> tuple[dict[str, Any], bytes]:
    """(metadata, serialized engine) from a file written by `engine_bytes`."""
    n = int.from_bytes(data[:HEADER_BYTES], "little", signed=True)
    try:
        if not 0 < n <= min(MAX_HEADER, len(data) - HEADER_BYTES):
            raise ValueError(n)
        md = md_io.loads(data[HEADER_BYTES:HEADER_BYTES + n].decode())
    except (ValueError, UnicodeDecodeError):
        raise MetadataError(f"'{path}' has no yolocls metadata header (a bare TensorRT engine, e.g. from trtexec?); "
                            f"export it with: yolocls export model=best.pt format=engine") from None
    return md, data[HEADER_BYTES + n:]


def read_engine_file(path: str | Path) -> tuple[dict[str, Any], bytes]:
    return split_engine_bytes(Path(path).read_bytes(), path)


def import_tensorrt() -> ModuleType:
    try:
        import tensorrt
    except ImportError as e:  # also: bindings present but libnvinfer missing
        raise MissingDependencyError("engine", "tensorrt", "tensorrt", hint=TENSORRT_INSTALL) from e
    return tensorrt


def cuda_index(device: str) -> int:
    """'cpu' / '' / 'cuda' -> 0 (an engine runs on a GPU whatever device says), 'cuda:1' / '1' -> 1."""
    tail = str(device).split(":")[-1]
    return int(tail) if tail.isdigit() else 0


def require_cuda(device: str = "0"):
    """torch with a visible CUDA device, or PlatformNotSupportedError."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("engine", "torch (CUDA build)", hint="pip install torch (a CUDA build)") from None
    if not torch.cuda.is_available():
        raise PlatformNotSupportedError("engine", "TensorRT engines run only on an NVIDIA GPU with CUDA, and none is "
                                                  "visible here (torch.cuda.is_available() is False)")
    return torch, torch.device("cuda", cuda_index(device))


def check_batch(n: int, max_batch: int, path: str | Path = "engine") -> None:
    if n > max_batch:
        raise ShapeError(f"'{path}' was built for batches of at most {max_batch} (its optimisation profile's max); "
                         f"got {n}. Predict in batches of <= {max_batch} or re-export with batch={n} dynamic=True")


@register_runtime
class TensorRTRuntime(Runtime):
    """`device` picks the GPU (`cuda:N` or `N`; any other value means GPU 0: an engine runs only on a GPU)."""

    name = "engine"
    suffixes = (".engine",)
    extra = "tensorrt"
    runs_on = "cuda"

    @classmethod
    def unavailable_reason(cls, device: str = "cpu") -> str | None:
        """TensorRT comes only from NVIDIA's index and runs only on their GPUs; an engine runs on a GPU whatever
        `device` says (see cuda_index)."""
        if importlib.util.find_spec("tensorrt") is None:
            return f"TensorRT is not installed ({TENSORRT_INSTALL})"
        try:
            require_cuda(device)
        except PlatformNotSupportedError as e:
            return e.reason
        except MissingDependencyError as e:
            return str(e)
        return None

    def load(self) -> None:
        self.metadata, plan = read_engine_file(self.path)
        trt = import_tensorrt()
        torch, self.dev = require_cuda(self.device)
        self.trt, self.torch = trt, torch
        self.logger = trt.Logger(trt.Logger.WARNING)
        with torch.cuda.device(self.dev):
            self.engine = trt.Runtime(self.logger).deserialize_cuda_engine(plan)
            if self.engine is None:
                raise ValueError(f"TensorRT {trt.__version__} could not deserialize '{self.path}' (built by another "
                                 f"TensorRT version or for another GPU? versions: {self.metadata.get('versions')})")
            self.context = self.engine.create_execution_context()
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        mode = trt.TensorIOMode.INPUT
        self.input_name = next(n for n in names if self.engine.get_tensor_mode(n) == mode)
        self.output_name = next(n for n in names if self.engine.get_tensor_mode(n) != mode)
        self.in_dtype, self.out_dtype = (getattr(torch, TORCH_DTYPES[self.engine.get_tensor_dtype(n).name])
                                         for n in (self.input_name, self.output_name))
        shape = tuple(self.engine.get_tensor_shape(self.input_name))
        self.max_batch = (self.engine.get_tensor_profile_shape(self.input_name, 0)[2][0] if shape[0] == -1
                          else shape[0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if self.dynamic and x.ndim == 4:  # dynamic batch only: the profile fixes the image size
            check_batch(x.shape[0], self.max_batch, self.path)
            hw = tuple(self.metadata["imgsz"])
            if tuple(x.shape[2:]) != hw:
                raise ShapeError(f"'{self.path}' accepts images of {hw[0]}x{hw[1]} only (its profile); got "
                                 f"{x.shape[2]}x{x.shape[3]}")
        return super().predict(x)

    def version(self) -> str:
        return self.trt.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        check_batch(x.shape[0], self.max_batch, self.path)
        with torch.cuda.device(self.dev):
            inp = torch.from_numpy(x).to(self.dev).to(self.in_dtype).contiguous()
            self.context.set_input_shape(self.input_name, tuple(inp.shape))
            out = torch.empty(tuple(self.context.get_tensor_shape(self.output_name)), dtype=self.out_dtype,
                              device=self.dev)
            self.context.set_tensor_address(self.input_name, inp.data_ptr())
            self.context.set_tensor_address(self.output_name, out.data_ptr())
            stream = torch.cuda.current_stream(self.dev)
            if not self.context.execute_async_v3(stream.cuda_stream):
                raise RuntimeError(f"TensorRT execution failed on '{self.path}'")
            stream.synchronize()
        return out.float().cpu().numpy()

