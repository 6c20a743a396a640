"""Paddle exporter: x2paddle's PyTorch-trace converter into `<stem>_paddle_model/`.

Layout (only what Paddle Inference needs): `model.json` (the PIR program), `model.pdiparams` (weights),
`metadata.yaml`. x2paddle's generated Python code and its dygraph `.pdparams` stay in the scratch folder.
x2paddle reports usage over the network unless `disable_feedback=True`, which we always pass.
ONNX input is not used: x2paddle's onnx2paddle is broken with current onnx (ONNX has no `onnx.mapping`).
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import metadata as md_io
from .._backends import gc_paused
from ..errors import ExportError
from ..runtimes.paddle import MODEL_FILE, PARAMS_FILE, import_paddle
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

# Exported in the TensorFlow formats' bench worker: TensorFlow's import brings paddle in first there anyway
# (_backends.import_tensorflow), so a worker of its own would import paddle a second time (~3 s here).
SPEC = ExporterSpec(name="paddle", title="PaddlePaddle", suffix="_paddle_model", is_dir=True, extra="paddle",
                    requires=("paddle", "x2paddle"), options=frozenset({"imgsz", "batch"}), cost_s=4.5,
                    export_group="tensorflow")
GENERATED_MODULE = "x2paddle_code"  # x2paddle writes and imports this module from its save_dir


@contextlib.contextmanager
def batch_free_program() -> Iterator[None]:
    """x2paddle saves the program with the traced example's shape, batch included; inside this block its
    input's batch dimension is left free (-1), so Paddle Inference runs any batch in one call (the runtime
    reads the declared shape) instead of one call per image. x2paddle has no option for it: its
    `PaddleGraph.dygraph2static(save_dir, input_shapes, input_types)` is wrapped for the block."""
    from x2paddle.core.program import PaddleGraph

    original = PaddleGraph.dygraph2static

    def free(self: Any, save_dir: str, input_shapes: list | None = None, input_types: list | None = None) -> Any:
        shapes = [[-1, *list(s)[1:]] if s else s for s in input_shapes or []]
        return original(self, save_dir, shapes, input_types or [])

    PaddleGraph.dygraph2static = free
    try:
        yield
    finally:
        PaddleGraph.dygraph2static = original


def convert(model, x, save_dir: Path) -> tuple[Path, Path]:
    """Run x2paddle (trace) with feedback off, the program's batch free; return the inference program and
    weights it wrote."""
    import torch

    paddle = import_paddle()
    from x2paddle.convert import pytorch2paddle

    log = io.StringIO()
    path_before = list(sys.path)
    chatty = logging.getLogger("x2paddle.convert")  # INFO banners, incl. a survey link, on every call
    level = chatty.level
    chatty.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(log), warnings.catch_warnings(), batch_free_program():
            warnings.filterwarnings("ignore", message="The input to trace is already a ScriptModule")
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in favour of torch.export
            # Traced here, without check_trace (x2paddle's own trace checks it: a second trace compared through
            # torch.testing, +2.5 s of imports); x2paddle takes a traced module as it is.
            traced = torch.jit.trace(model, x, strict=False, check_trace=False)
            pytorch2paddle(module=traced, save_dir=str(save_dir), jit_type="trace", input_examples=[x],
                           disable_feedback=True)
    except SystemExit as e:  # x2paddle calls exit(0) when the static export fails
        raise ExportError(f"x2paddle stopped (exit {e.code}) while saving the Paddle program: "
                          f"{log.getvalue()[-1500:]}") from None
    finally:
        chatty.setLevel(level)
        sys.path[:] = path_before  # x2paddle inserts save_dir at sys.path[0] to import its generated code
        sys.modules.pop(GENERATED_MODULE, None)
    prog, params = save_dir / "inference_model" / MODEL_FILE, save_dir / "inference_model" / PARAMS_FILE
    if not (prog.is_file() and params.is_file()):
        found = sorted(str(p.relative_to(save_dir)) for p in save_dir.rglob("*"))
        raise ExportError(f"x2paddle wrote no {MODEL_FILE} + {PARAMS_FILE} (paddle {paddle.__version__}); found "
                          f"{found}. Log: {log.getvalue()[-1500:]}")
    return prog, params


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    paddle = import_paddle()  # before x2paddle, which imports paddle itself (its ccache warning, its OMP setting)
    with gc_paused():
        import x2paddle

    from ..models.attention import reshape_with_input_sizes  # x2paddle has no unflatten/reshape_as

    # BatchNorm folded first: x2paddle keeps every batch_norm op otherwise (26 on yolov8n-cls), which Paddle
    # Inference then fuses at each load (0.3 s instead of 0.1 s); a copy, as the switch to input-sized reshapes
    # changes the modules in place
    model = reshape_with_input_sizes(copy.deepcopy(ctx.fused_model()))
    prog, params = convert(model, ctx.example_input(), ctx.workdir / "x2paddle")
    shutil.copyfile(prog, ctx.path / MODEL_FILE)
    shutil.copyfile(params, ctx.path / PARAMS_FILE)
    ctx.metadata.update(precision="fp32", versions={**ctx.metadata["versions"], "paddle": paddle.__version__,
                                                    "x2paddle": x2paddle.__version__})
    md_io.write_metadata_file(ctx.path, ctx.metadata)
    return ctx.path
