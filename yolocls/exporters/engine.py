"""TensorRT exporter: ONNX -> serialized engine, with the yolocls metadata header in front (`<stem>.engine`).

UNVERIFIED on this project's machines: TensorRT cannot be installed there (its libraries come only from
NVIDIA's package index, which they cannot reach) and they have no GPU. Written against the TensorRT 10/11
Python API documentation; the TensorRT-free logic lives in `_tensorrt_build.py` and is tested.
Options: `half`, `int8` (TensorRT 10 only, calibrated on `data`), `workspace` (GiB), `dynamic` (batch profile
min 1 / opt batch//2 / max `batch`), `batch`.
"""

from __future__ import annotations

from pathlib import Path

from .._io import write_bytes
from ..errors import ExportError
from ..runtimes.engine import TENSORRT_INSTALL, engine_bytes, import_tensorrt, require_cuda
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter
from ._tensorrt_build import BuildPlan, build_plan, calibration_batches, trt_major

SPEC = ExporterSpec(name="engine", title="TensorRT", suffix=".engine", extra="tensorrt",
                    requires=("tensorrt", "onnx"), install_hint=TENSORRT_INSTALL,
                    options=frozenset({"imgsz", "half", "int8", "dynamic", "simplify", "opset", "batch",
                                       "workspace", "data", "fraction", "device"}),
                    note="unverified on this project's machines (no TensorRT, no GPU)")


def make_calibrator(trt, torch, device, batches: list, cache: Path):
    """An IInt8EntropyCalibrator2 (TensorRT 10) that feeds `batches` from CUDA memory."""

    class Calibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.pending = iter(batches)
            self.current = None  # keeps the device buffer alive while TensorRT reads it

        def get_batch_size(self) -> int:
            return int(batches[0].shape[0])

        def get_batch(self, names):
            nxt = next(self.pending, None)
            if nxt is None:
                return None
            self.current = torch.from_numpy(nxt).to(device)
            return [int(self.current.data_ptr())]

        def read_calibration_cache(self):
            return cache.read_bytes() if cache.is_file() else None

        def write_calibration_cache(self, data) -> None:
            cache.write_bytes(bytes(data))

    return Calibrator()


def build_engine(ctx: ExportContext, trt, torch, device, plan: BuildPlan) -> bytes:
    o = ctx.opts
    onnx_path = ctx.onnx_file(dynamic=o.dynamic, batch=o.batch, half=plan.fp16_onnx)
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch (10.x) / strongly typed (11.x) are the defaults
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ExportError(f"TensorRT's ONNX parser rejected the model: {errors}")
    config = builder.create_builder_config()
    if plan.workspace_bytes:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, plan.workspace_bytes)
    if plan.fp16_flag:
        config.set_flag(trt.BuilderFlag.FP16)
    profile = None
    if plan.profile:
        profile = builder.create_optimization_profile()
        profile.set_shape(network.get_input(0).name, *plan.profile)
        config.add_optimization_profile(profile)
    if plan.int8_calibration:
        x, record = ctx.calibration_images()
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = make_calibrator(trt, torch, device, calibration_batches(x, plan.calibration_batch),
                                                 ctx.workdir / "calibration.cache")
        if profile is not None:
            config.set_calibration_profile(profile)
        ctx.metadata["quantization"] = {"method": "IInt8EntropyCalibrator2", "calibration": record}
    with torch.cuda.device(device):
        serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise ExportError("TensorRT's builder returned no engine (see its log above for the failing layer)")
    return bytes(serialized)


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    trt = import_tensorrt()
    torch, device = require_cuda(ctx.opts.device)
    o = ctx.opts
    plan = build_plan(trt_major(trt.__version__), half=o.half, int8=o.int8, dynamic=o.dynamic, batch=o.batch,
                      imgsz=ctx.imgsz, workspace=o.workspace)
    serialized = build_engine(ctx, trt, torch, device, plan)
    ctx.metadata.update(precision=o.precision, dynamic=o.dynamic, batch=plan.max_batch,
                        profile={"min": plan.profile[0], "opt": plan.profile[1], "max": plan.profile[2]}
                        if plan.profile else None,
                        versions={**ctx.metadata["versions"], "tensorrt": trt.__version__, "torch": torch.__version__,
                                  "gpu": torch.cuda.get_device_name(device)})
    write_bytes(ctx.path, engine_bytes(ctx.metadata, serialized))
    return ctx.path
