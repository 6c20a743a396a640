"""ExecuTorch exporter: `torch.export` -> edge dialect lowered to the XNNPACK delegate -> `<stem>_executorch_model/`
(model.pte + metadata.yaml).

`int8` is PT2E post-training quantisation with ExecuTorch's XNNPACK quantizer (symmetric int8, per-channel
weights, static per-tensor activations) calibrated on `data`; ops it does not quantise, the Softmax among
them, stay float. The graph has the static batch `batch` (XNNPACK plans its memory for one shape).
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import _io
from .. import metadata as md_io
from .._backends import gc_paused
from ..runtimes.executorch import PROGRAM_FILE, SUFFIX
from ._context import ExportContext
from ._registry import ExporterSpec, register_exporter

SPEC = ExporterSpec(name="executorch", title="ExecuTorch", suffix=SUFFIX, is_dir=True, extra="executorch",
                    requires=("executorch", "torchao"),
                    options=frozenset({"imgsz", "int8", "data", "fraction", "batch", "device"}), cost_s=16.0)
CALIBRATION_IMAGES = 300
CALIBRATION_BATCH = 50


def quantize(ctx: ExportContext, example: Any) -> tuple[Any, dict[str, Any]]:
    """The model quantised with the XNNPACK quantizer on `ctx.calibration_images()`, as an ExportedProgram."""
    import torch
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    images, record = ctx.calibration_images(CALIBRATION_IMAGES)
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    # Calibrate with a symbolic batch, CALIBRATION_BATCH images a call: the activation observers
    # (histograms) cost about as much per call as per image (300 calls of one image: 267 s; 6 of 50: 16 s).
    batch = torch.export.Dim("batch", min=1, max=CALIBRATION_BATCH)
    graph = torch.export.export(ctx.model, (example.expand(2, -1, -1, -1).contiguous(),),
                                dynamic_shapes={"x": {0: batch}}).module()
    prepared = prepare_pt2e(graph, quantizer)
    with torch.no_grad():
        for i in range(0, len(images), CALIBRATION_BATCH):
            prepared(torch.from_numpy(images[i:i + CALIBRATION_BATCH]))
    converted = convert_pt2e(prepared)
    return torch.export.export(converted, (example,)), {
        "scheme": "PT2E static post-training (XNNPACKQuantizer)", "weights": "int8 symmetric per-channel",
        "activations": "int8 per-tensor", "calibration": record}


def splits_as_slices(program: Any) -> Any:
    """`program` with each `split_with_sizes` computed as slices (the same views of the same tensor): XNNPACK
    delegates slice_copy but not split, so every C2f split would end a delegated partition (yolov8n-cls: 5
    partitions with copies between them in the portable kernels, lowered ~0.6 s slower, instead of 1).
    Rewritten in the graph itself (each `getitem` of a split becomes a slice with the getitem's metadata):
    `run_decompositions` with a split decomposition gives the same program but retraces all of it (~1.3 s)."""
    import operator

    import torch

    graph = program.graph
    for node in list(graph.nodes):
        if node.op != "call_function" or node.target is not torch.ops.aten.split_with_sizes.default:
            continue
        users = list(node.users)
        if not all(u.op == "call_function" and u.target is operator.getitem for u in users):
            continue  # a split used whole (not through its items): left as it is
        x, sizes = node.args[0], [int(n) for n in node.args[1]]
        dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
        starts = [sum(sizes[:i]) for i in range(len(sizes))]
        for item in users:
            i = item.args[1]
            with graph.inserting_before(item):
                piece = graph.call_function(torch.ops.aten.slice.Tensor, (x, dim, starts[i], starts[i] + sizes[i]))
            piece.meta = dict(item.meta)  # the same value (a view of x), module stack and trace
            item.replace_all_uses_with(piece)
            graph.erase_node(item)
        graph.erase_node(node)
    graph.lint()
    program.graph_module.recompile()
    return program


def delegation(program: Any) -> dict[str, Any]:
    """What the lowered program hands to XNNPACK: the delegated partitions, and the ops left to ExecuTorch's
    portable kernels (outside every partition)."""
    calls = [n for n in program.graph.nodes if n.op == "call_function"]
    delegated = [n for n in calls if "executorch_call_delegate" in str(n.target)]
    outside = sorted({str(getattr(n.target, "__name__", n.target)) for n in calls
                      if n not in delegated and "getitem" not in str(n.target)})
    return {"backend": "XNNPACK", "partitions": len(delegated), "outside": outside}


# The pattern sets XNNPACK's preprocessing matches, each built on first use by exporting small models (~5 s
# of a cold export here), and the ops without which none of a set's patterns can match a graph (every pattern
# holds one: tests/exporters/test_executorch.py checks it on the installed ExecuTorch).
PATTERN_SETS = {"bilinear_2d": ("get_graphs_dict", ("upsample", "interpolate", "grid_sample")),
                "sdpa": ("get_graphs", ("bmm", "matmul", "scaled_dot_product", "baddbmm"))}


@contextlib.contextmanager
def unmatchable_patterns_skipped(program: Any) -> Iterator[list[str]]:
    """While lowering `program`, the XNNPACK pattern sets it cannot match (it holds none of their ops) are empty
    instead of built: the same program, seconds sooner. Yields the names of the sets skipped."""
    from executorch.backends.xnnpack.partition import graphs

    ops = " ".join(str(n.target) for n in program.graph.nodes if n.op == "call_function")
    saved = []
    for name, (getter, needs) in PATTERN_SETS.items():
        module = getattr(graphs, name, None) or importlib.import_module(f"{graphs.__name__}.{name}")
        original = getattr(module, getter, None)
        if original is not None and not any(op in ops for op in needs):
            saved.append((module, getter, original))
            setattr(module, getter, dict if getter.endswith("dict") else list)
    try:
        yield [m.__name__.rsplit(".", 1)[-1] for m, _, _ in saved]
    finally:
        for module, getter, original in saved:
            setattr(module, getter, original)


@contextlib.contextmanager
def provenance_shared() -> Iterator[None]:
    """While lowering, each node's provenance (`meta["from_node"]`, a chain of `torch.fx.traceback.NodeSource`
    that grows by one link per pass) is shared with the node it came from instead of deep-copied: every one of
    the ~20 passes retraces the graph, so the copies cost O(passes^2) per node (0.6-1 s of an 8 s lowering
    here). NodeSource objects are never changed after they are made, so the program, its debug handles
    included, is the same (tests/exporters/test_executorch.py compares the .pte bytes)."""
    from torch.fx import traceback as fx_traceback

    cls = fx_traceback.NodeSource
    original = cls.__init__

    def init(self: Any, node: Any, pass_name: str = "", action: Any = None) -> None:
        chain = node.meta.pop("from_node", None) if node is not None else None
        try:
            original(self, node, pass_name, action)  # from_node = [] without the chain to copy
        finally:
            if chain is not None:
                node.meta["from_node"] = chain
        if chain is not None:
            self.from_node = list(chain)

    cls.__init__ = init
    try:
        yield
    finally:
        cls.__init__ = original


@register_exporter(SPEC)
def export(ctx: ExportContext) -> Path:
    import torch

    example = ctx.example_input()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exir's and torch.export's deprecation chatter, one line per pass
        with gc_paused():
            import torchao
            from executorch import version as et_version
            from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
            from executorch.exir import to_edge_transform_and_lower

        versions = {**ctx.metadata["versions"], "executorch": et_version.__version__, "torch": str(torch.__version__)}
        if ctx.opts.int8:
            program, ctx.metadata["quantization"] = quantize(ctx, example)
            versions["torchao"] = torchao.__version__
        else:  # BatchNorm folded first: half the graph for the edge passes (lowering 8-10 s instead of 12-19 s)
            program = splits_as_slices(torch.export.export(ctx.fused_model(), (example,)))
        with unmatchable_patterns_skipped(program), provenance_shared():
            edge = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()])
            delegate = delegation(edge.exported_program())
            lowered = edge.to_executorch()
    _io.write_bytes(ctx.path / PROGRAM_FILE, lowered.buffer)
    ctx.metadata.update(precision=ctx.opts.precision, dynamic=False, versions=versions, delegate=delegate)
    md_io.write_metadata_file(ctx.path, ctx.metadata)
    return ctx.path
