"""ONNX exporter: the legacy TorchScript-based exporter (clean 1:1 graph on torch 2.13, 30x faster than
dynamo), optional onnxslim simplification, metadata in metadata_props, checked with onnx.checker."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="onnx", title="ONNX", suffix=".onnx", extra="onnx", requires=("onnx", "onnxruntime"),
    options=frozenset({"imgsz", "half", "dynamic", "simplify", "opset", "batch", "device"}),
)
DEFAULT_OPSET = 17
METADATA_KEY = "yolocls"


def write_onnx(model: Any, path: Path, *, imgsz: int, opset: int | None = None, dynamic: bool = False,
               simplify: bool = True, batch: int = 1, half: bool = False,
               metadata: dict[str, Any] | None = None) -> Path:
    """Export `model` (eval, fp32) to `path`; input `images` NCHW, output `output0` probabilities."""
    import onnx
    import torch

    m = model.half() if half else model
    x = torch.zeros(batch, 3, imgsz, imgsz, dtype=torch.float16 if half else torch.float32)
    axes = {"images": {0: "batch", 2: "height", 3: "width"}, "output0": {0: "batch"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(m, x, str(path), dynamo=False, opset_version=opset or DEFAULT_OPSET,
                          input_names=["images"], output_names=["output0"], dynamic_axes=axes,
                          do_constant_folding=True)
    if half:
        model.float()
    proto = onnx.load(str(path))
    if simplify:
        try:
            import onnxslim

            proto = onnxslim.slim(proto)
        except ImportError:
            warnings.warn("simplify=True but onnxslim is not installed; exporting unsimplified "
                          "(pip install 'yolocls[onnx]')", stacklevel=2)
    if metadata is not None:
        del proto.metadata_props[:]
        for k, v in {METADATA_KEY: md_io.dumps(metadata), "names": str(metadata["names"]),
                     "imgsz": str(metadata["imgsz"])}.items():
            proto.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import onnx
    import torch

    o = ctx.opts
    ctx.metadata.update(precision=o.precision, dynamic=o.dynamic,
                        versions={**ctx.metadata["versions"], "torch": torch.__version__, "onnx": onnx.__version__,
                                  "opset": o.opset or DEFAULT_OPSET})
    return write_onnx(ctx.model, ctx.path, imgsz=ctx.imgsz, opset=o.opset, dynamic=o.dynamic,
                      simplify=o.simplify, batch=o.batch, half=o.half, metadata=ctx.metadata)
