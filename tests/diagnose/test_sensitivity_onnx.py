"""int8 sensitivity and keep_float on real ONNX Runtime int8 (QDQ) exports of the digits model: keep_float
leaves the named blocks' nodes float in the graph, sensitivity ranks every top-level block by a measured top-1
drop, and keep_float=auto exports an artifact whose drop is no worse than the plain int8 export's and within
the 1-point gate."""

from __future__ import annotations

import shutil

import onnx
import pytest

from yolocls import YOLO
from yolocls.diagnose import diff
from yolocls.errors import ConfigError
from yolocls.runtimes import load_runtime

from .conftest import CALIB, assert_auto_within_gate, assert_ranked

pytestmark = [pytest.mark.slow, pytest.mark.onnx]

KEPT = (4, 6)


def dequantized_reads(path, block: int) -> set[str]:
    """The tensors from a DequantizeLinear that the nodes of top-level block `block` read (int8 weights or
    quantised activations)."""
    graph = onnx.load(str(path)).graph
    dq = {o for n in graph.node if n.op_type == "DequantizeLinear" for o in n.output}
    return {i for n in graph.node if f"/model.{block}/" in n.name for i in n.input if i in dq}


def quantised_inside(path, block: int) -> set[str]:
    """The tensors produced by block `block`'s nodes that a QuantizeLinear reads."""
    graph = onnx.load(str(path)).graph
    producer = {o: n.name for n in graph.node for o in n.output}
    return {n.input[0] for n in graph.node if n.op_type == "QuantizeLinear"
            and f"/model.{block}/" in producer.get(n.input[0], "")}


@pytest.fixture(scope="module")
def plain_int8(diff_ckpt, tmp_path_factory):
    ckpt = shutil.copy(diff_ckpt, tmp_path_factory.mktemp("onnx_int8") / "best.pt")
    return YOLO(ckpt).export(format="onnx", int8=True, **CALIB)


def test_keep_float_leaves_the_blocks_nodes_float(diff_ckpt, plain_int8, tmp_path):
    ckpt = shutil.copy(diff_ckpt, tmp_path / "best.pt")
    fp32 = YOLO(ckpt).export(format="onnx")
    kept = YOLO(ckpt).export(format="onnx", int8=True, keep_float=",".join(map(str, KEPT)), **CALIB)
    assert kept.endswith("best_int8.onnx") and fp32.endswith("best.onnx")  # precision-tagged; fp32 kept beside it
    assert load_runtime(fp32).precision == "fp32"
    md = load_runtime(kept).metadata
    assert [e["index"] for e in md["quantization"]["keep_float"]] == list(KEPT)
    for block in KEPT:
        # float: the one dequantised tensor they read is the block before's output, the one they quantise their own
        assert dequantized_reads(kept, block) == {f"blocks/model.{block - 1}_DequantizeLinear_Output"}
        assert quantised_inside(kept, block) == {f"blocks/model.{block}"}
        assert len(dequantized_reads(plain_int8, block)) > 5  # in the plain export every weight is int8
    for block in (3, 5, 8):  # the others are quantised as in the plain export
        assert dequantized_reads(kept, block) == dequantized_reads(plain_int8, block)
    with pytest.raises(ConfigError, match="no blocks"):
        YOLO(ckpt).export(format="onnx", int8=True, keep_float="42", **CALIB)


def test_sensitivity_ranks_blocks_and_auto_is_within_the_gate(diff_ckpt, plain_int8, digits_val, tmp_path):
    report = diff(diff_ckpt, plain_int8, images=8, sensitivity=True, verbose=False)
    (a,) = report.artifacts
    assert a.format == "onnx" and a.precision == "int8" and a.exposes_blocks  # the int8 graph keeps its block map
    assert a.first_divergent is None
    (s,) = report.sensitivity
    assert s.search.format == "onnx"
    assert_ranked(s)

    ckpt = shutil.copy(diff_ckpt, tmp_path / "best.pt")
    auto = YOLO(ckpt).export(format="onnx", int8=True, keep_float="auto", **CALIB)
    assert auto.endswith("best_int8.onnx")
    assert_auto_within_gate(auto, plain_int8, digits_val)
