"""The TensorRT-free half of an engine build: argument checks, the precision plan per TensorRT major version,
the optimisation-profile shapes and the int8 calibration batches. Plain functions, tested without TensorRT.

TensorRT 10 builds weakly typed networks: `half` sets BuilderFlag.FP16 and `int8` sets BuilderFlag.INT8 with an
entropy calibrator. TensorRT 11 removed both flags and implicit (calibrator) int8: networks are strongly typed,
so `half` builds from an fp16 ONNX graph, and `int8` needs Q/DQ nodes in the ONNX (NVIDIA ModelOpt), which
yolocls does not write.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ExportError

MIN_MAJOR = 10
Shape = tuple[int, int, int, int]


@dataclass(frozen=True)
class BuildPlan:
    """What the builder is asked to do. profile: (min, opt, max) input shapes, or None for a static input."""

    fp16_flag: bool  # TensorRT 10: BuilderFlag.FP16 on an fp32 graph
    fp16_onnx: bool  # TensorRT 11+: an fp16 ONNX graph (strongly typed)
    int8_calibration: bool  # TensorRT 10: BuilderFlag.INT8 + IInt8EntropyCalibrator2
    workspace_bytes: int | None
    profile: tuple[Shape, Shape, Shape] | None
    calibration_batch: int

    @property
    def max_batch(self) -> int:
        return self.profile[2][0] if self.profile else self.calibration_batch


def trt_major(version: str) -> int:
    """'10.13.0.35' -> 10."""
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        raise ExportError(f"cannot read TensorRT's version from '{version}'") from None


def profile_shapes(batch: int, imgsz: int, dynamic: bool) -> tuple[Shape, Shape, Shape] | None:
    """Dynamic batch: min 1, opt half of `batch` (at least 1), max `batch`. Static: None (no profile needed)."""
    if batch < 1:
        raise ConfigError(f"batch={batch} must be >= 1")
    if not dynamic:
        return None
    shape = (3, imgsz, imgsz)
    return (1, *shape), (max(1, batch // 2), *shape), (batch, *shape)


def build_plan(major: int, *, half: bool, int8: bool, dynamic: bool, batch: int, imgsz: int,
               workspace: float | None) -> BuildPlan:
    """Check the options against what this TensorRT version can do, and say how to build."""
    if major < MIN_MAJOR:
        raise ExportError(f"TensorRT {major}.x is too old: yolocls builds with the TensorRT {MIN_MAJOR}+ API. "
                          f"Fix: pip install -U tensorrt --extra-index-url https://pypi.nvidia.com")
    if half and int8:
        raise ConfigError("half=True and int8=True exclude each other; pick one precision")
    if workspace is not None and not workspace > 0:
        raise ConfigError(f"workspace={workspace} must be a positive number of GiB (or None: TensorRT's default)")
    if int8 and major >= 11:
        raise ExportError(f"int8=True needs TensorRT 10: TensorRT {major} removed calibrator-based int8 (it takes "
                          f"only ONNX graphs with explicit Q/DQ nodes, e.g. from NVIDIA ModelOpt). Use half=True, "
                          f"or build with tensorrt<11")
    if dynamic and batch == 1:
        warnings.warn("dynamic=True with batch=1 builds an engine for batch 1 only; batch is the profile's "
                      "maximum (pass batch=N for batches up to N)", stacklevel=2)
    profile = profile_shapes(batch, imgsz, dynamic)
    return BuildPlan(fp16_flag=half and major < 11, fp16_onnx=half and major >= 11,
                     int8_calibration=int8, workspace_bytes=int(workspace * (1 << 30)) if workspace else None,
                     profile=profile, calibration_batch=profile[1][0] if profile else batch)


def calibration_batches(x: np.ndarray, batch: int) -> list[np.ndarray]:
    """Split calibration images into full batches of `batch` (the engine's shape); the last one is topped up
    from the start, so every image is used and no batch is padded with zeros."""
    if len(x) == 0:
        raise ConfigError("int8 calibration needs at least one image; check data= and fraction=")
    n = -(-len(x) // batch) * batch
    idx = np.arange(n) % len(x)
    return [np.ascontiguousarray(x[idx[i:i + batch]], dtype=np.float32) for i in range(0, n, batch)]
