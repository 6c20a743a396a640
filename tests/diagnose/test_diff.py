"""`yolocls diff` on real artifacts of the digits model: fp32 exports match PyTorch at every block (through
BatchNorm folding and onnx2tf's NHWC layout); an export of a model whose block 4 was changed is reported
with block 4 as the first that breaks, in each format; a format that cannot expose its blocks says so and
still compares its output; reports, plot and CLI."""

from __future__ import annotations

import json

import onnx
import pytest

from yolocls.cli import main
from yolocls.diagnose import diff

from .conftest import DAMAGED_BLOCK, FORMATS

pytestmark = [pytest.mark.slow, pytest.mark.onnx, pytest.mark.openvino, pytest.mark.tensorflow]


@pytest.fixture(scope="module")
def fp32_report(diff_ckpt, fp32_artifacts):
    return diff(diff_ckpt, [fp32_artifacts[f] for f in FORMATS], data="digits", images=16, depth=2, verbose=False)


def test_fp32_exports_match_pytorch_at_every_block(fp32_report):
    by_format = {a.format: a for a in fp32_report.artifacts}
    assert set(by_format) == set(FORMATS)
    for fmt in ("onnx", "openvino", "tflite"):
        a = by_format[fmt]
        assert a.exposes_blocks and a.first_divergent is None, fmt
        rows = [b for b in a.blocks if b.exposed]
        assert len(rows) == len(a.blocks) >= 20, (fmt, [b.name for b in a.blocks if not b.exposed])  # depth 2: all
        for b in rows:
            assert b.max_abs <= 1e-4 and b.rel <= 1e-4 and b.cosine > 0.99999, (fmt, b)
        assert a.output["agreement"] == 1.0 and a.output["max_abs"] <= 1e-5
    ts = by_format["torchscript"]  # its submodules are the top-level blocks: depth 1 only
    assert {b.name for b in ts.blocks if b.exposed} == {b.name for b in ts.blocks if b.depth == 1}
    assert all(b.rel <= 1e-4 for b in ts.blocks if b.exposed)
    assert "depth 1" in next(b.note for b in ts.blocks if not b.exposed)


def test_block_map_survives_batchnorm_folding_and_nhwc(fp32_artifacts):
    from yolocls.runtimes import load_runtime

    graph = onnx.load(str(fp32_artifacts["onnx"])).graph
    assert not [n for n in graph.node if n.op_type == "BatchNormalization"]  # folded into the convolutions
    assert [o.name for o in graph.output] == ["output0"]  # the block outputs are tensors, not outputs
    tfl = load_runtime(fp32_artifacts["tflite"])
    four_d = [e for e in tfl.block_map if len(e["shape"]) == 4 and e.get("tensor") is not None]
    assert four_d and all(e["layout"] == "NHWC" for e in four_d)  # onnx2tf moved the channels last
    assert all(isinstance(e["tensor"], int) for e in four_d)  # TFLite tensor indices, recorded at export


def test_exporting_with_the_block_map_changes_no_node(diff_ckpt, tmp_path):
    from yolocls import YOLO
    from yolocls.exporters._onnx_file import write_onnx

    model = YOLO(diff_ckpt).model.eval()
    plain = onnx.load(str(write_onnx(model, tmp_path / "plain.onnx", imgsz=32, points=[])))
    named = onnx.load(str(write_onnx(model, tmp_path / "named.onnx", imgsz=32)))
    assert [(n.op_type, n.name) for n in named.graph.node] == [(n.op_type, n.name) for n in plain.graph.node]
    assert sum(t.startswith("blocks/") for n in named.graph.node for t in n.output) >= 20


@pytest.mark.parametrize("fmt", FORMATS[:3])
def test_a_changed_block_is_the_first_that_breaks(fmt, diff_ckpt, damaged_artifacts, tmp_path):
    report = diff(diff_ckpt, damaged_artifacts[fmt], data="digits", images=16, save=True, project=tmp_path,
                  verbose=False)
    (a,) = report.artifacts
    first = a.first_divergent
    assert first is not None and (first.index, first.name) == (DAMAGED_BLOCK, f"model.{DAMAGED_BLOCK}")
    before = [b for b in a.blocks if b.index < DAMAGED_BLOCK]
    assert before and all(b.passed and b.rel < 1e-5 for b in before)  # the blocks before it are untouched
    assert first.rel > 1e-2
    saved = json.loads(report.files["json"].read_text())
    assert saved["artifacts"][0]["first_divergent"] == {"index": DAMAGED_BLOCK, "name": f"model.{DAMAGED_BLOCK}",
                                                        "type": "C2f"}
    assert report.files["json"].parent.name == "diff"
    assert "FIRST DIVERGENT" in report.files["md"].read_text()
    assert report.files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_depth_2_points_inside_the_changed_block(diff_ckpt, damaged_artifacts):
    (a,) = diff(diff_ckpt, damaged_artifacts["onnx"], data="digits", images=8, depth=2, verbose=False).artifacts
    first = a.first_divergent
    assert (first.index, first.name) == (DAMAGED_BLOCK, f"model.{DAMAGED_BLOCK}.m.1")
    inside = {b.name: b for b in a.blocks}
    assert inside[f"model.{DAMAGED_BLOCK}.m.0"].passed  # the bottleneck before the changed one is untouched


def test_an_artifact_without_block_outputs_still_compares_its_output(diff_ckpt, tmp_path):
    from yolocls import YOLO

    frozen = YOLO(diff_ckpt).export(format="torchscript", optimize=True)
    (a,) = diff(diff_ckpt, frozen, images=8, verbose=False).artifacts
    assert not a.exposes_blocks and "optimize=True" in a.reason
    assert a.first_divergent is None and a.output["agreement"] == 1.0
    assert all(not b.exposed for b in a.blocks if not b.output)
    out = next(b for b in a.blocks if b.output)
    assert out.exposed and out.passed


def test_cli_diff_table_and_check_exit_code(diff_ckpt, fp32_artifacts, damaged_artifacts, capsys, tmp_path):
    assert main(["diff", f"model={diff_ckpt}", f"artifact={fp32_artifacts['onnx']}", "images=4", "check=True"]) == 0
    out = capsys.readouterr().out
    assert "first divergent block: none" in out and "model.8" in out
    assert main(["diff", f"model={diff_ckpt}", f"artifact={damaged_artifacts['onnx']}", "images=4", "--check"]) == 1
    assert f"first divergent block: {DAMAGED_BLOCK} model.{DAMAGED_BLOCK} (C2f)" in capsys.readouterr().out
    assert main(["diff", f"model={diff_ckpt}", "artifact=missing.onnx"]) == 2
    assert "missing.onnx" in capsys.readouterr().err


def test_diff_help_comes_from_the_argument_table(capsys):
    assert main(["diff", "--help"]) == 0
    out = capsys.readouterr().out
    for key in ("artifact=None", "images=32", "depth=1", "sensitivity=False", "save=False"):
        assert key in out
    assert main(["--help"]) == 0 and "diff" in capsys.readouterr().out
