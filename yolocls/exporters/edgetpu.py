"""Edge TPU exporter: the full-integer int8 TFLite model compiled by `edgetpu_compiler` -> `<stem>_edgetpu.tflite`.

The compiler is a closed-source x86-64 Linux binary from Coral's apt repository; without it on PATH the export
raises PlatformNotSupportedError saying where to get it. Its exit code and log are checked, and a run that maps
no operation to the Edge TPU or writes no valid model is an ExportError, never a silent success.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..errors import ExportError, PlatformNotSupportedError
from . import _onnx2tf, tflite
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(
    name="edgetpu", title="Edge TPU", suffix="_edgetpu.tflite", extra="tensorflow",
    requires=(*_onnx2tf.TF_REQUIRES, "ai_edge_litert"), fix=_onnx2tf.TF_FIX,
    options=frozenset({"imgsz", "data", "fraction", "batch", "simplify", "opset", "device"}),
    note="compiler: edgetpu_compiler (Coral apt repository, x86-64 Linux); runtime: libedgetpu + an Edge TPU",
    cost_s=2.5,
)
COMPILER = "edgetpu_compiler"
INSTALL_HINT = (
    "edgetpu_compiler is not on PATH. It comes from Coral's apt repository and runs on x86-64 Linux only: "
    "echo 'deb https://packages.cloud.google.com/apt coral-edgetpu-stable main' | "
    "sudo tee /etc/apt/sources.list.d/coral-edgetpu.list; curl https://packages.cloud.google.com/apt/doc/apt-key.gpg "
    "| sudo apt-key add -; sudo apt-get update; sudo apt-get install edgetpu-compiler")


def compile_edgetpu(model: Path, out_dir: Path, compiler: str | None = None, timeout: float = 600) -> tuple[Path, dict]:
    """Run the compiler on a full-integer .tflite; return the compiled file and what its log reports."""
    exe = compiler or shutil.which(COMPILER)
    if exe is None:
        raise PlatformNotSupportedError("edgetpu", INSTALL_HINT)
    cmd = [exe, "--show_operations", "--out_dir", str(out_dir), str(model)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    log = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise ExportError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{log[-3000:]}")
    out = out_dir / f"{model.stem}_edgetpu.tflite"
    if "compiled successfully" not in log.lower() or not out.is_file():
        raise ExportError(f"{COMPILER} exited 0 but did not report success or write {out.name}:\n{log[-3000:]}")
    if out.read_bytes()[4:8] != b"TFL3":
        raise ExportError(f"{COMPILER} wrote {out.name}, which is not a TFLite flatbuffer")
    info: dict[str, Any] = {"compiler": (re.search(r"compiler version\s*([\w.]+)", log, re.I) or [None, "?"])[1]}
    for key, pattern in (("ops_on_edgetpu", r"operations that will run on Edge TPU:\s*(\d+)"),
                         ("ops_on_cpu", r"operations that will run on CPU:\s*(\d+)")):
        m = re.search(pattern, log, re.I)
        info[key] = int(m[1]) if m else None
    if info["ops_on_edgetpu"] == 0:
        raise ExportError(f"{COMPILER} mapped no operation to the Edge TPU; the model would run on CPU only:\n{log[-3000:]}")
    return out, info


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    exe = shutil.which(COMPILER)
    if exe is None:  # before the conversion work: fail fast
        raise PlatformNotSupportedError("edgetpu", INSTALL_HINT)
    # Per-tensor weights and int8 I/O: what the Edge TPU handles best (no quantise ops left on the CPU).
    src = ctx.workdir / "model_int8.tflite"
    src.write_bytes(tflite.convert(ctx, int8=True, int8_io=True, per_channel=False, blocks=False))
    compiled, info = compile_edgetpu(src, ctx.workdir, exe)
    ctx.metadata["edgetpu"] = info
    return tflite.write_tflite(ctx.path, compiled.read_bytes(), ctx.metadata)
