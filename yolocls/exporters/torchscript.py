"""TorchScript exporter: a traced module with the metadata in its extra files; `optimize` for mobile.

`optimize=True` runs `optimize_for_mobile` and saves for the lite interpreter (the file loads with both
`torch.jit.load` and `torch.jit.mobile._load_for_lite_interpreter`). PyTorch wheels built without XNNPACK
(the Linux CPU wheels, torch 2.13 included) cannot run `optimize_for_mobile`; then the module is frozen
instead (BatchNorm folded, dropout removed: the passes of optimize_for_mobile minus XNNPACK prepacking),
with a warning, and the metadata records which optimiser ran.
"""

from __future__ import annotations

import copy
import io
import warnings
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from .._io import write_bytes
from ..runtimes.torchscript import METADATA_FILE
from ._blocks import record
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(name="torchscript", title="TorchScript", suffix=".torchscript", extra=None,
                    requires=("torch",), options=frozenset({"imgsz", "batch", "optimize", "device", "half"}))


def optimize_for_mobile(ts: Any) -> tuple[Any, str]:
    """(optimised module, which optimiser ran)."""
    import torch
    from torch.utils import mobile_optimizer

    try:
        return mobile_optimizer.optimize_for_mobile(ts), "optimize_for_mobile"
    except RuntimeError as e:
        if "XNNPACK" not in str(e):
            raise
        warnings.warn("optimize=True: this PyTorch build has no XNNPACK, so optimize_for_mobile cannot run; "
                      "froze the module instead (BatchNorm folded, dropout removed, no XNNPACK prepacking)",
                      stacklevel=3)
        return torch.jit.freeze(ts.eval()), "torch.jit.freeze (no XNNPACK in this PyTorch build)"


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import torch

    # BatchNorm folded (in fp32, before any half): fewer modules to trace and a faster artifact
    m = copy.deepcopy(ctx.fused_model()).half() if ctx.opts.half else ctx.fused_model()
    x = ctx.example_input().to(next(m.parameters()).dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in favour of torch.export
        # No check_trace: it traces a second time and compares through torch.testing, whose first use imports
        # torch.distributed.tensor (2.5 s of the 3 s here); the export's own verification runs the saved file.
        ts = torch.jit.trace(m, x, strict=False, check_trace=False)
        ctx.metadata.update(precision=ctx.opts.precision,
                            versions={**ctx.metadata["versions"], "torch": str(torch.__version__)})
        points = ctx.block_points()
        if ctx.opts.optimize:  # frozen or optimised for mobile: the submodules are inlined, no block map
            record(ctx.metadata, points, {}, how="none", note="optimize=True inlines the blocks' submodules, so "
                   "their outputs cannot be read; export without optimize to compare block by block")
        else:  # the traced module keeps each top-level block as a submodule (its forward calls them in turn)
            record(ctx.metadata, points, {p.name: p.name for p in points if p.depth == 1}, how="submodule chain",
                   note="TorchScript keeps the top-level blocks as submodules; the modules inside a block are "
                   "reached through the block's own traced code only (depth 1)")
        extra = {METADATA_FILE: md_io.dumps(ctx.metadata)}
        if ctx.opts.optimize:
            ts, how = optimize_for_mobile(ts)
            ctx.metadata["mobile"] = {"optimizer": how, "lite_interpreter": True}
            extra[METADATA_FILE] = md_io.dumps(ctx.metadata)
            data = ts._c._save_to_buffer_for_mobile(_extra_files=extra)
        else:
            buf = io.BytesIO()
            torch.jit.save(ts, buf, _extra_files=extra)
            data = buf.getbuffer()
    # Serialised in memory, written by yolocls: torch's own file writer aborts the process on a full disk.
    write_bytes(ctx.path, data)
    return ctx.path
