"""ncnn exporter: TorchScript -> pnnx -> `<stem>_ncnn_model/` (model.ncnn.param, model.ncnn.bin, metadata.yaml).

pnnx is run as its command-line tool inside the scratch folder, so its side files (pnnx graph, its own .py
and .onnx, the traced .pt) never reach the artifact folder. `half` stores fp16 weights (pnnx `fp16=1`);
otherwise weights stay fp32 (pnnx's own default is fp16).
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

from .. import metadata as md_io
from ..errors import ExportError
from ..runtimes.ncnn import BIN_FILE, PARAM_FILE
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(name="ncnn", title="ncnn", suffix="_ncnn_model", is_dir=True, extra="ncnn",
                    requires=("ncnn", "pnnx"), options=frozenset({"imgsz", "half"}), cost_s=1.3)
PNNX_TIMEOUT_S = 600


def pnnx_command(exe: str, ts_file: str, imgsz: int, half: bool) -> list[str]:
    """The pnnx command line: every output named explicitly (relative to the scratch folder it runs in)."""
    return [exe, ts_file, f"inputshape=[1,3,{imgsz},{imgsz}]f32", "device=cpu", f"fp16={int(half)}",
            f"ncnnparam={PARAM_FILE}", f"ncnnbin={BIN_FILE}", "ncnnpy=model_ncnn.py",
            "pnnxparam=model.pnnx.param", "pnnxbin=model.pnnx.bin", "pnnxpy=model_pnnx.py",
            "pnnxonnx=model.pnnx.onnx"]


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import ncnn
    import pnnx
    import torch

    work = ctx.workdir / "pnnx"
    work.mkdir()
    # ncnn takes one CHW image per call, so the graph is traced at batch 1 whatever `batch` says. BatchNorm
    # folded first (pnnx would fold it too); no check_trace (a second trace, +2.5 s of torch.testing imports).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in favour of torch.export
        traced = torch.jit.trace(ctx.fused_model(), ctx.example_input(1), strict=False, check_trace=False)
    traced.save(str(work / "model.pt"))
    cmd = pnnx_command(pnnx.EXEC_PATH, "model.pt", ctx.imgsz, ctx.opts.half)
    try:
        run = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=PNNX_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ExportError(f"pnnx did not finish in {PNNX_TIMEOUT_S} s: {' '.join(cmd)}") from None
    if run.returncode != 0 or not (work / PARAM_FILE).is_file() or not (work / BIN_FILE).is_file():
        raise ExportError(f"pnnx failed (exit {run.returncode}) converting TorchScript to ncnn: "
                          f"{(run.stderr or run.stdout)[-1500:]}")
    for name in (PARAM_FILE, BIN_FILE):
        shutil.copyfile(work / name, ctx.path / name)
    ctx.metadata.update(precision="fp16" if ctx.opts.half else "fp32", batch=1, dynamic=False,
                        versions={**ctx.metadata["versions"], "ncnn": ncnn.__version__,
                                  "pnnx": getattr(pnnx, "__version__", "unknown")})
    md_io.write_metadata_file(ctx.path, ctx.metadata)
    return ctx.path
