"""Paddle Inference backend for `<stem>_paddle_model/` (model.json + model.pdiparams + metadata.yaml)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from .. import metadata as md_io
from .._backends import import_paddle_module
from ..errors import ArtifactMissingError, MissingDependencyError
from ._base import Runtime
from ._registry import register_runtime

MODEL_FILE = "model.json"  # paddle 3.x PIR program (2.x wrote model.pdmodel)
PARAMS_FILE = "model.pdiparams"


def import_paddle() -> ModuleType:
    """`import paddle`, refusing (instead of segfaulting) when TensorFlow was imported first."""
    if "paddle" not in sys.modules and "tensorflow" in sys.modules:
        raise RuntimeError("paddle cannot be imported after TensorFlow in one process (libpaddle segfaults). Run "
                           "paddle in a fresh process, or call yolocls._backends.paddle_first() before anything "
                           "imports tensorflow (onnx2tf, tensorflowjs and coremltools do)")
    try:
        return import_paddle_module()
    except ImportError:
        raise MissingDependencyError("paddle", "paddlepaddle", "paddle") from None


def batch_of_program(prog: Path) -> int | None:
    """The batch dimension a PIR program (model.json) declares for its first input: -1 when free, None when
    the file is not one (a 2.x model.pdmodel) or holds no input shape. Paddle Inference does not say: an input
    handle's shape() is [0] for a program with a free dimension."""
    if prog.suffix != ".json":
        return None
    try:
        ops = json.loads(prog.read_text())["program"]["regions"][0]["blocks"][0]["ops"]
        data = next(op for op in ops if op.get("#", "").endswith(".data"))
        shape = next(a["AT"]["D"] for a in data["A"] if a.get("N") == "shape")
        return int(shape[0])
    except (OSError, ValueError, KeyError, IndexError, TypeError, StopIteration):
        return None


def find_model_files(folder: Path) -> tuple[Path, Path]:
    """The program and weights in a paddle folder (ours at the top; x2paddle's own layout under inference_model/)."""
    for d in (folder, folder / "inference_model"):
        prog = next((d / n for n in (MODEL_FILE, "model.pdmodel") if (d / n).is_file()), None)
        if prog and (d / PARAMS_FILE).is_file():
            return prog, d / PARAMS_FILE
    raise ArtifactMissingError(folder, "paddle", f"the folder holds no Paddle inference model ({MODEL_FILE} + "
                                                 f"{PARAMS_FILE})")


@register_runtime
class PaddleRuntime(Runtime):
    """Options: `threads` (CPU math threads, default: all cores), `onednn` (oneDNN kernels, default on)."""

    name = "paddle"
    suffixes = ("_paddle_model",)
    extra = "paddle"
    folder = True
    backend_modules = ("paddle", "paddle.inference")
    import_cost_s = 1.7

    @classmethod
    def import_backend(cls) -> None:
        import_paddle()  # refuses after TensorFlow, as load() does
        from paddle import inference  # noqa: F401

    def load(self) -> None:
        paddle = import_paddle()
        from paddle import inference

        self.paddle = paddle
        prog, params = find_model_files(self.path)
        self.metadata = md_io.read_metadata_file(self.path)
        cfg = inference.Config(str(prog), str(params))
        if self.device not in ("cpu", "") and paddle.is_compiled_with_cuda():
            cfg.enable_use_gpu(256, int(self.device.split(":")[-1]) if self.device[-1].isdigit() else 0)
        else:
            cfg.disable_gpu()
            cfg.set_cpu_math_library_num_threads(int(self.options.get("threads") or os.cpu_count() or 1))
            # oneDNN: measured faster here on yolov8n-cls (benchmarks/other_formats.py), same fp32 outputs
            cfg.enable_onednn() if self.options.get("onednn", True) else cfg.disable_onednn()
        cfg.disable_glog_info()
        cfg.switch_ir_optim(True)
        self.predictor = inference.create_predictor(cfg)
        self.input = self.predictor.get_input_handle(self.predictor.get_input_names()[0])
        self.output_name = self.predictor.get_output_names()[0]
        self.free_batch = self.takes_free_batch(batch_of_program(prog) == -1)  # exports since 2026-12

    def version(self) -> str:
        return self.paddle.__version__

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input.reshape(list(x.shape))
        self.input.copy_from_cpu(x)
        self.predictor.run()
        return self.predictor.get_output_handle(self.output_name).copy_to_cpu()
