"""Simplifying an exported ONNX graph: onnxslim where the graph holds anything for it to do, skipped where it
does not (its import alone, through sympy, was half of an ONNX export's time).

torch's TorchScript-based exporter writes our classifiers as compute nodes plus a few `Constant` nodes (the
Split sizes) and, where weights repeat, `Identity` nodes aliasing them. Both are resolved here, exactly; a graph left with only compute ops that
onnxslim has no rule for (no constant subexpression, no shape arithmetic, no pattern it fuses) is what
onnxslim would return, so it is not run. Anything else (YOLO11's attention reshapes, a dynamic graph's shape
nodes, an op outside the list) goes through onnxslim as before.
"""

from __future__ import annotations

import warnings
from typing import Any

# Ops that onnxslim neither folds nor fuses when every input is a computed tensor or a weight (checked: its
# result on these graphs has the same nodes).
PLAIN_OPS = frozenset({"Conv", "Sigmoid", "Mul", "Add", "Split", "Concat", "GlobalAveragePool", "Flatten",
                       "Gemm", "Softmax", "Relu", "MaxPool", "AveragePool", "HardSigmoid", "HardSwish"})


def constants_to_initializers(proto: Any) -> int:
    """Move every `Constant` node holding a tensor (`value`) into the graph's initializers; returns how many."""
    graph = proto.graph
    keep, moved = [], 0
    for node in graph.node:
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "Constant" and set(attrs) == {"value"} and len(node.output) == 1:
            t = graph.initializer.add()
            t.CopyFrom(attrs["value"].t)
            t.name = node.output[0]
            moved += 1
        else:
            keep.append(node)
    if moved:
        del graph.node[:]
        graph.node.extend(keep)
    return moved


def drop_weight_identities(proto: Any) -> int:
    """Remove `Identity` nodes that alias a weight (the exporter writes one for each repeated identical tensor,
    as in a freshly initialised model): their consumers read the weight itself. Returns how many."""
    graph = proto.graph
    weights = {t.name for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    alias = {n.output[0]: n.input[0] for n in graph.node
             if n.op_type == "Identity" and n.input[0] in weights and n.output[0] not in outputs}
    if not alias:
        return 0
    keep = [n for n in graph.node if not (n.op_type == "Identity" and n.output[0] in alias)]
    for n in keep:
        for i, name in enumerate(n.input):
            if name in alias:
                n.input[i] = alias[name]
    del graph.node[:]
    graph.node.extend(keep)
    return len(alias)


def has_work_for_onnxslim(proto: Any) -> bool:
    """Whether onnxslim could change `proto`: an op outside PLAIN_OPS, or a node computed from constants only."""
    graph = proto.graph
    constant = {t.name for t in graph.initializer}
    for node in graph.node:
        if node.op_type not in PLAIN_OPS or all(i in constant for i in node.input if i):
            return True
    return False


def simplify(proto: Any) -> tuple[Any, str]:
    """`proto` simplified, and how: 'onnxslim X.Y.Z', or what was done without it."""
    moved, aliases = constants_to_initializers(proto), drop_weight_identities(proto)
    if not has_work_for_onnxslim(proto):
        return proto, (f"{moved} Constant node(s) moved to initializers, {aliases} weight Identity node(s) "
                       f"removed; nothing left for onnxslim")
    try:
        import onnxslim
    except ImportError:
        warnings.warn("simplify=True but onnxslim is not installed; exporting unsimplified "
                      "(pip install 'yolocls[onnx]')", stacklevel=3)
        return proto, "not simplified: onnxslim is not installed"
    return onnxslim.slim(proto), f"onnxslim {onnxslim.__version__}"
