"""OpenVINO exporter: IR (xml/bin) in `<stem>_openvino_model/` with metadata.yaml beside it and in rt_info.

Converted from the ONNX export (0.25 s instead of 0.8 s through OpenVINO's PyTorch frontend, and the same
dynamic axes). `half` stores FP16 weights (compress_to_fp16); `int8` is NNCF post-training quantisation
calibrated on `data` (`fraction` of its train split).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from ..errors import ExportError, MissingDependencyError
from ..runtimes.openvino import RT_INFO_PATH
from ._blocks import check_keep_float, keep_float_entries, record, slice_blocks, tensor_name
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="openvino", title="OpenVINO", suffix="_openvino_model", is_dir=True, extra="openvino",
    requires=("openvino", "onnx"),
    options=frozenset({"imgsz", "half", "int8", "dynamic", "batch", "data", "fraction", "device", "keep_float"}),
    cost_s=2.0,
)
INT8_PRESET = "MIXED"  # symmetric weights, asymmetric activations: the accurate preset for SiLU nets


def quantize(om: Any, ctx: ExportContext) -> tuple[Any, dict[str, Any]]:
    """NNCF post-training INT8 quantisation of an OpenVINO model on `ctx.calibration_images()`."""
    try:
        import nncf
    except ImportError:
        raise MissingDependencyError("openvino", "nncf", "openvino") from None
    x, record = ctx.calibration_images()
    b = 1 if ctx.opts.dynamic else ctx.opts.batch  # a static IR takes exactly its batch
    items = [x[i:i + b] for i in range(0, len(x) - b + 1, b)]
    keep = list(ctx.opts.keep_float or [])
    ignored = nncf.IgnoredScope(names=sorted(float_ops(om, ctx, keep))) if keep else None
    from nncf.common.logging import nncf_logger

    level = nncf_logger.level
    nncf_logger.setLevel(logging.WARNING if keep else level)  # else a line per ignored operation
    try:
        q = nncf.quantize(om, nncf.Dataset(items), preset=getattr(nncf.QuantizationPreset, INT8_PRESET),
                          subset_size=len(items), ignored_scope=ignored)
    finally:
        nncf_logger.setLevel(level)
    return q, {"method": f"nncf post-training quantization ({INT8_PRESET} preset)", "calibration": record,
               "nncf": nncf.__version__, "keep_float": keep_float_entries(ctx.block_points(), keep)}


def float_ops(om: Any, ctx: ExportContext, keep: list[int]) -> set[str]:
    """The operations of the top-level blocks `keep` (NNCF's ignored scope: no quantiser on their inputs or
    weights): the model's graph between the named block outputs (`_blocks.slice_blocks`)."""
    ops = om.get_ordered_ops()
    parents = {op.get_friendly_name(): [v.get_node().get_friendly_name() for v in op.input_values()] for op in ops}
    producer = {n: op.get_friendly_name() for op in ops for out in op.outputs() for n in out.get_names()}
    blocks = check_keep_float(ctx.block_points(), keep)
    try:
        ends = [producer[tensor_name(p.name)] for p in blocks[:-1]] + [om.output(0).get_node().get_friendly_name()]
    except KeyError as e:
        raise ExportError(f"keep_float: the converted model has lost the output tensor of block {e}") from None
    skip = {"Constant", "Parameter", "Result"}
    kinds = {op.get_friendly_name(): op.get_type_name() for op in ops}
    members = slice_blocks(parents, ends)
    return {n for p, names in zip(blocks, members, strict=True) if p.index in keep for n in names
            if kinds[n] not in skip}


def tensor_names(om: Any) -> set[str]:
    return {n for op in om.get_ops() for out in op.outputs() for n in out.get_names()}


def record_block_map(om: Any, ctx: ExportContext) -> None:
    """The IR keeps the ONNX tensor names of the block outputs (through OpenVINO's fusions and NNCF's
    quantisation): map each point to its name where the converted model still has it."""
    points = ctx.block_points()
    names = tensor_names(om)
    record(ctx.metadata, points, {p.name: tensor_name(p.name) for p in points if tensor_name(p.name) in names},
           how="named tensors (extra outputs at diff time)")


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import onnx
    import openvino as ov
    import torch

    o = ctx.opts
    om = ov.convert_model(str(ctx.onnx_file()))
    versions = {**ctx.metadata["versions"], "openvino": ov.get_version(), "onnx": onnx.__version__,
                "torch": str(torch.__version__)}
    if o.int8:
        om, ctx.metadata["quantization"] = quantize(om, ctx)
        versions["nncf"] = ctx.metadata["quantization"]["nncf"]
    ctx.metadata.update(precision=o.precision, dynamic=o.dynamic, versions=versions)
    record_block_map(om, ctx)
    om.set_rt_info(md_io.dumps(ctx.metadata), RT_INFO_PATH)
    stem = Path((ctx.metadata.get("source") or {}).get("checkpoint") or "model").stem
    ov.save_model(om, str(ctx.path / f"{stem}.xml"), compress_to_fp16=o.half)
    md_io.write_metadata_file(ctx.path, ctx.metadata)
    return ctx.path
