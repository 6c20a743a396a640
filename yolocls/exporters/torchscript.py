"""TorchScript exporter: a traced module with the metadata in its extra files; `optimize` for mobile."""

from __future__ import annotations

from pathlib import Path

from .. import metadata as md_io
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(name="torchscript", title="TorchScript", suffix=".torchscript", extra=None,
                    requires=("torch",), options=frozenset({"imgsz", "batch", "optimize", "device", "half"}))
EXTRA_FILE = "metadata.json"


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import torch

    m = ctx.model.half() if ctx.opts.half else ctx.model
    x = ctx.example_input().to(next(m.parameters()).dtype)
    ts = torch.jit.trace(m, x, strict=False)
    ctx.metadata.update(precision=ctx.opts.precision, versions={**ctx.metadata["versions"], "torch": torch.__version__})
    extra = {EXTRA_FILE: md_io.dumps(ctx.metadata)}
    if ctx.opts.optimize:
        from torch.utils.mobile_optimizer import optimize_for_mobile

        optimize_for_mobile(ts)._save_for_lite_interpreter(str(ctx.path), _extra_files=extra)
    else:
        ts.save(str(ctx.path), _extra_files=extra)
    if ctx.opts.half:
        ctx.model.float()
    return ctx.path
