"""MNN exporter: the ONNX export converted by MNN's converter -> `<stem>.mnn`, the metadata in its bizCode.

`half` stores fp16 weights (`--fp16`). MNN's converter truncates fp32 weights to fp16 (round toward zero:
twice the error of rounding to nearest, and biased; max |dp| 1.0e-2 on the digits model), so the weights are
rounded to nearest-even in the ONNX graph first, which its truncation then keeps exactly. `int8` is MNN's full-integer post-training quantisation (its
`quantized` tool: EMA activation ranges, ADMM weight scales) calibrated on `data`; the Softmax stays float.

MNN's Python wrappers (`MNN.tools.mnnconvert`, `MNN.tools.mnnquant`) import `MNN/tools/utils/log.py`, which
runs `os.system("pip install -U aliyun-log-python-sdk")` through whatever `pip` is first on PATH when that
package is missing, then sends usage logs to a remote service. So yolocls calls the converter's C extension
(`_tools`) directly, never importing `MNN.tools`, in a child interpreter whose audit hook refuses to start a
process or open a socket. (`MNN.tools.mnnquant` is also broken in MNN 3.6.1: it passes three strings where the
extension takes one argv list, and aborts with std::length_error.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from .. import metadata as md_io
from ..errors import ExportError
from ..runtimes.mnn import SUFFIX
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(name="mnn", title="MNN", suffix=SUFFIX, extra="mnn", requires=("MNN", "onnx"),
                    options=frozenset({"imgsz", "half", "int8", "data", "fraction", "batch", "dynamic", "simplify",
                                       "opset", "device"}))
TOOL_TIMEOUT_S = 600
CALIBRATION_IMAGES = 300
# Run in the child: no process, no socket, then the extension's own argv-style entry point.
_CHILD = """
import sys
REFUSED = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
           "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request")
def refuse(event, args):
    if event in REFUSED:
        raise PermissionError(f"yolocls refused {event} inside MNN's converter: {args!r:.200}")
sys.addaudithook(refuse)
import _tools
getattr(_tools, sys.argv[1])(sys.argv[2:])
"""


def run_tool(tool: str, argv: list[str], work: Path) -> str:
    """Run `_tools.<tool>(argv)` (mnnconvert or mnnquant) in a guarded child in `work`; return its output."""
    cmd = [sys.executable, "-c", _CHILD, tool, tool, *argv]
    try:
        run = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ExportError(f"MNN {tool} did not finish in {TOOL_TIMEOUT_S} s") from None
    log = run.stdout + run.stderr
    if run.returncode != 0:
        raise ExportError(f"MNN {tool} failed (exit {run.returncode}): {log[-1500:]}")
    return log


def convert(src: Path, dst: Path, work: Path, *, framework: str, biz_code: str, half: bool = False) -> Path:
    """ONNX (or MNN, to replace its bizCode) -> `dst`; raise ExportError when nothing usable was written."""
    argv = ["-f", framework, "--modelFile", str(src), "--MNNModel", str(dst), "--bizCode", biz_code]
    log = run_tool("mnnconvert", [*argv, *(["--fp16"] if half else [])], work)
    if "Converted Success" not in log or not dst.is_file() or dst.stat().st_size == 0:
        raise ExportError(f"MNN's converter wrote no model from {src.name}: {log[-1500:]}")
    return dst


def round_weights_to_fp16(src: Path, dst: Path) -> Path:
    """A copy of `src` whose Conv/Gemm/MatMul weights are rounded to the nearest fp16 value (kept as fp32)."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(src))
    weights = {n.input[1] for n in proto.graph.node if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1}
    for init in proto.graph.initializer:
        if init.name in weights and init.data_type == onnx.TensorProto.FLOAT:
            w = numpy_helper.to_array(init)
            init.CopyFrom(numpy_helper.from_array(w.astype(np.float16).astype(np.float32), init.name))
    onnx.save(proto, str(dst))
    return dst


def quantize(ctx: ExportContext, fp32: Path, dst: Path) -> dict:
    """Full int8 with MNN's calibration tool on `ctx.calibration_images()`; returns the metadata record.

    The tool reads image files: the preprocessed images are written as imgsz x imgsz PNGs (exactly the uint8
    pixels `preprocess` scales by 1/255), so with mean 0 and normal 1/255 it sees the same input as every runtime.
    """
    from PIL import Image

    images, record = ctx.calibration_images(CALIBRATION_IMAGES)
    folder = ctx.workdir / "calibration"
    folder.mkdir()
    for i, img in enumerate(images):
        Image.fromarray(np.round(img.transpose(1, 2, 0) * 255).astype(np.uint8)).save(folder / f"{i:05d}.png")
    method = {"feature_quantize_method": "EMA", "weight_quantize_method": "ADMM"}
    config = {"format": "RGB", "mean": [0.0] * 3, "normal": [1 / 255] * 3, "width": ctx.imgsz, "height": ctx.imgsz,
              "path": str(folder), "used_image_num": len(images), "batch_size": min(10, len(images)), **method}
    (ctx.workdir / "quant.json").write_text(json.dumps(config))
    log = run_tool("mnnquant", [str(fp32), str(dst), str(ctx.workdir / "quant.json")], ctx.workdir)
    if "Quantize model done" not in log or not dst.is_file():
        raise ExportError(f"MNN's quantization tool wrote no model: {log[-1500:]}")
    return {"scheme": "full-integer post-training (MNN quantized tool)", **method, "calibration": record}


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    from importlib.metadata import version

    o, work = ctx.opts, ctx.workdir
    ctx.metadata.update(precision=o.precision, dynamic=o.dynamic,
                        versions={**ctx.metadata["versions"], "mnn": version("MNN")})
    onnx_file = ctx.onnx_file()
    if o.half:
        onnx_file = round_weights_to_fp16(onnx_file, work / "fp16_weights.onnx")
    if not o.int8:
        out = convert(onnx_file, work / "model.mnn", work, framework="ONNX", half=o.half,
                      biz_code=md_io.dumps(ctx.metadata))
    else:
        fp32 = convert(onnx_file, work / "fp32.mnn", work, framework="ONNX", biz_code="")
        ctx.metadata["quantization"] = quantize(ctx, fp32, work / "int8.mnn")
        # the quantization tool drops the bizCode: convert MNN -> MNN to write it (weights are copied as they are)
        out = convert(work / "int8.mnn", work / "model.mnn", work, framework="MNN",
                      biz_code=md_io.dumps(ctx.metadata))
    shutil.copyfile(out, ctx.path)
    return ctx.path
