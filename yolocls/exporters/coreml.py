"""Core ML exporter: the traced model through coremltools into `<stem>.mlpackage` (an ML program).

Input `images` (N, 3, H, W) float32 in [0, 1] (a tensor, not an image type, so the preprocessing contract is
the same as every other format's); output `output0` (N, nc) probabilities. The yolocls metadata, class names
and preprocessing contract go into the model's user-defined metadata. `half`: fp16 compute precision (Core
ML's own default for ML programs; ours is fp32). `int8`: int8 weights (linear symmetric, per channel).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from .. import metadata as md_io
from .._backends import import_coremltools
from ..runtimes.coreml import INPUT, METADATA_KEY, OUTPUT
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(name="coreml", title="CoreML", suffix=".mlpackage", is_dir=True, extra="coreml",
                    requires=("coremltools",), options=frozenset({"imgsz", "batch", "half", "int8"}), note="Core ML prediction runs only on macOS",
                    cost_s=7.0)
MIN_TARGET = "iOS15"  # the first target with ML programs


def user_metadata(md: dict) -> dict[str, str]:
    """What goes into the Core ML model's user-defined metadata (string values only)."""
    return {METADATA_KEY: md_io.dumps(md), "names": json.dumps({str(k): v for k, v in md["names"].items()}),
            "imgsz": json.dumps(md["imgsz"]), "preprocess": json.dumps(md["preprocess"]), "task": md["task"]}


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import torch

    ct = import_coremltools()
    o = ctx.opts
    x = ctx.example_input()
    # BatchNorm folded first (fewer ops to convert; Core ML's passes would fold it anyway); no check_trace: a
    # second trace compared through torch.testing (+2.5 s of imports), where the export's verification and
    # the parity tests compare the package itself.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notice; coremltools' chatter
        traced = torch.jit.trace(ctx.fused_model(), x, strict=False, check_trace=False)
        ml = ct.convert(traced, inputs=[ct.TensorType(name=INPUT, shape=tuple(x.shape))],
                        outputs=[ct.TensorType(name=OUTPUT)], convert_to="mlprogram",
                        minimum_deployment_target=getattr(ct.target, MIN_TARGET),
                        compute_precision=ct.precision.FLOAT16 if o.half else ct.precision.FLOAT32)
        quant = None
        if o.int8:
            from coremltools.optimize import coreml as cto

            cfg = cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8", granularity="per_channel")
            ml = cto.linear_quantize_weights(ml, config=cto.OptimizationConfig(global_config=cfg))
            quant = {"weights": "int8", "mode": "linear_symmetric", "granularity": "per_channel",
                     "compute": "fp32", "calibration": None}
    ctx.metadata.update(precision=o.precision, quantization=quant,
                        versions={**ctx.metadata["versions"], "coremltools": ct.__version__, "torch": torch.__version__})
    ml.short_description = f"yolocls YOLOv8 classifier, {len(ctx.metadata['names'])} classes"
    ml.author, ml.license, ml.version = "yolocls", "see the source checkpoint", ctx.metadata["versions"]["yolocls"]
    ml.input_description[INPUT] = f"RGB image batch (N, 3, {ctx.imgsz}, {ctx.imgsz}), float32 in [0, 1]"
    ml.output_description[OUTPUT] = "class probabilities (N, nc), softmax applied"
    ml.user_defined_metadata.update(user_metadata(ctx.metadata))
    ml.save(str(ctx.path))
    return ctx.path
