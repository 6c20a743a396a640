"""Static int8 quantisation of an ONNX file with ONNX Runtime's quantiser (QDQ format), calibrated on images.

Weights are int8 per output channel (symmetric), activations uint8 per tensor: U8S8 is the combination ONNX
Runtime's x86 kernels run fastest (measured here at 224 px, yolov8n-cls: S8S8 QDQ 8.3 ms, fp32 2.8 ms,
U8S8 1.7 ms). The Softmax stays float, so the output keeps its float resolution (an 8-bit softmax output has
steps of 1/256 and zeroes every class of a many-class model).

keep_float: the nodes of the named top-level blocks go to the quantiser's `nodes_to_exclude` (their weights
stay float, no quantiser inside them; a kept block's input is what the block before it quantised). The nodes
are found on the graph the quantiser sees (after its pre-processing) from the block map's tensor names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ExportError
from ..runtimes.onnx import INPUT
from ._blocks import slice_blocks

CALIBRATION_IMAGES = 300
CALIBRATE_METHOD = "MinMax"


def _batches(images: np.ndarray, batch: int) -> list[np.ndarray]:
    return [images[i:i + batch] for i in range(0, len(images) - batch + 1, batch)] or [images[:batch]]


def block_nodes(graph: Any, ends: list[str]) -> list[set[str]]:
    """The node names of each top-level block of an ONNX `graph`, from each block's output tensor (network
    order, the model's output last): `_blocks.slice_blocks` over the graph's edges."""
    producer = {t: n.name for n in graph.node for t in n.output}
    lost = [t for t in ends if t not in producer]
    if lost:
        raise ExportError(f"keep_float: the ONNX graph has lost the output tensor of block {lost[0]!r}; export "
                          "without keep_float, or with simplify=False")
    parents = {n.name: [producer[t] for t in n.input if t in producer] for n in graph.node}
    return slice_blocks(parents, [producer[t] for t in ends])


def quantize_qdq(src: Path, dst: Path, images: np.ndarray, *, batch: int = 1, input_name: str = INPUT,
                 per_channel: bool = True, blocks: list[tuple[int, str]] | None = None,
                 keep_float: list[int] | None = None) -> dict[str, Any]:
    """Write the int8 QDQ model of `src` to `dst`, calibrated on `images` (NCHW float32) fed `batch` at a
    time; returns what was done, for the metadata. `blocks`: (index, output tensor) of every top-level block,
    network order, the model's output last; the nodes of the blocks `keep_float` names stay float."""
    import onnx
    import onnxruntime
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(_batches(images, batch))

        def get_next(self) -> dict[str, np.ndarray] | None:
            item = next(self.items, None)
            return None if item is None else {input_name: item}

    pre = src.with_name(src.stem + "_pre.onnx")
    quant_pre_process(str(src), str(pre))  # shape inference + ORT's graph optimisation, as the quantiser expects
    try:
        graph = onnx.load(str(pre)).graph
        exclude = {n.name for n in graph.node if n.op_type == "Softmax"}
        if keep_float:
            members = block_nodes(graph, [t for _, t in blocks or []])
            exclude |= {n for (i, _), names in zip(blocks or [], members, strict=True) if i in keep_float
                        for n in names}
        quantize_static(str(pre), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                        calibrate_method=getattr(CalibrationMethod, CALIBRATE_METHOD),
                        nodes_to_exclude=sorted(exclude))
    finally:
        pre.unlink(missing_ok=True)
    return {"scheme": "static QDQ (onnxruntime quantize_static)",
            "weights": f"int8 symmetric {'per-channel' if per_channel else 'per-tensor'}",
            "activations": "uint8 per-tensor", "calibrate_method": CALIBRATE_METHOD, "float_ops": ["Softmax"],
            "onnxruntime": onnxruntime.__version__}
