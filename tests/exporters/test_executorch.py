"""ExecuTorch: the artifact folder (model.pte + metadata.yaml), the .pte loads on its own, calibrated int8 with
a float softmax, and a runtime that says it needs PyTorch (the pip wheel's bindings link libtorch)."""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from yolocls.runtimes import detect_format, load_runtime

from .conftest import run_python

pytestmark = [pytest.mark.executorch, pytest.mark.slow]


@pytest.fixture(scope="module")
def et_exports(export_once):
    """{'fp32': best_executorch_model/, 'int8': best_int8_executorch_model/} (the parity table's exports)."""
    return {"fp32": export_once("executorch"), "int8": export_once("executorch", int8=True, data="digits")}


def test_artifact_folder_holds_the_program_and_metadata_only(et_exports):
    for precision, folder in et_exports.items():
        name = "best_executorch_model" if precision == "fp32" else f"best_{precision}_executorch_model"
        assert folder.name == name and detect_format(folder) == "executorch"
        assert sorted(p.name for p in folder.iterdir()) == ["metadata.yaml", "model.pte"]
        assert sorted(p.name for p in folder.parent.iterdir()) == ["best.pt", name]
        rt = load_runtime(folder)
        assert rt.precision == precision and rt.metadata["format"] == "executorch" and rt.imgsz == 32
        assert rt.metadata["delegate"]["backend"] == "XNNPACK" and rt.metadata["delegate"]["partitions"] >= 1


def test_fp32_runs_whole_in_one_xnnpack_partition(et_exports):
    """The C2f splits are lowered as slices, which XNNPACK takes: nothing is left to the portable kernels."""
    assert load_runtime(et_exports["fp32"]).metadata["delegate"] == {"backend": "XNNPACK", "partitions": 1,
                                                                      "outside": []}


def test_splits_become_slices_with_the_same_outputs(digits_ckpt):
    import torch

    from yolocls import YOLO
    from yolocls.exporters.executorch import splits_as_slices

    model = YOLO(str(digits_ckpt))._require_torch_model("export").eval()
    x = torch.rand(2, 3, 32, 32)
    program = torch.export.export(model, (x,))
    ops = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
    assert "aten.split_with_sizes.default" in ops
    before = program.module()(x)
    after = splits_as_slices(program)
    ops = [str(n.target) for n in after.graph.nodes if n.op == "call_function"]
    assert "aten.split_with_sizes.default" not in ops and "aten.slice.Tensor" in ops
    assert torch.equal(after.module()(x), before)


def test_the_pte_itself_loads_and_batches_are_looped(et_exports, digits_val, digits_ref):
    pte = et_exports["fp32"] / "model.pte"
    assert detect_format(pte) == "executorch"
    x = digits_val[0][:5]
    try:
        np.testing.assert_allclose(load_runtime(pte, threads=1).predict(x), digits_ref[:5], atol=1e-5)
    finally:  # the thread pool is the process's: give it back its cores
        load_runtime(pte, threads=os.cpu_count())
    np.testing.assert_array_equal(load_runtime(pte).predict(x), load_runtime(et_exports["fp32"]).predict(x))


def test_int8_is_calibrated_on_data_and_keeps_a_float_softmax(et_exports, digits_val):
    rt = load_runtime(et_exports["int8"])
    q = rt.metadata["quantization"]
    assert q["calibration"] == {"images": 300, "source": "digits", "split": "train", "fraction": 1.0}
    assert q["weights"] == "int8 symmetric per-channel" and "XNNPACKQuantizer" in q["scheme"]
    assert (et_exports["int8"] / "model.pte").stat().st_size < 0.35 * (et_exports["fp32"] / "model.pte").stat().st_size
    p = rt.predict(digits_val[0][:64])
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    assert np.mean(np.isclose(p * 256, np.round(p * 256), atol=1e-4)) < 0.5  # not an 8-bit output


@pytest.mark.parametrize(("blocked", "message"), [
    ("torch", "format 'executorch' needs torch, which is not installed. Fix: pip install torch (the executorch pip "
              "wheel's Python runtime links libtorch)"),
    ("executorch", "format 'executorch' needs executorch, which is not installed. Fix: pip install "
                   "'yolocls[executorch]'"),
])
def test_a_missing_package_is_named(et_exports, blocked, message):
    code = f'''
    from yolocls import YOLO
    try:
        YOLO({str(et_exports["fp32"])!r})
    except ImportError as e:
        print("ERR", e)
    '''
    r = run_python(code, blocked=(blocked,))
    assert r.returncode == 0, r.stderr[-3000:]
    assert message in r.stdout, r.stdout


def test_shared_provenance_links_the_same_sources_and_is_undone():
    import torch
    from torch.fx import traceback as fx_traceback

    from yolocls.exporters import executorch as et

    node = next(iter(torch.fx.symbolic_trace(torch.nn.ReLU()).graph.nodes))
    source = fx_traceback.NodeSource(None, "earlier pass")
    node.meta["from_node"] = [source]
    original = fx_traceback.NodeSource.__init__
    with et.provenance_shared():
        shared = fx_traceback.NodeSource(node, "a pass")
    assert fx_traceback.NodeSource.__init__ is original
    copied = fx_traceback.NodeSource(node, "a pass")
    assert shared.from_node[0] is source and copied.from_node[0] is not source  # linked, not deep-copied
    assert shared == copied and node.meta["from_node"] == [source] and shared.name == node.name


def test_lowering_shortcuts_change_no_byte(et_exports, digits_ckpt, tmp_path, monkeypatch):
    """The pattern sets skipped while lowering a graph without their ops: every pattern of a set holds one of
    the ops PATTERN_SETS names (so none could have matched), and the pattern builders are restored afterwards.
    With the patterns built and the provenance deep-copied, as ExecuTorch does, the lowered program is the same
    byte for byte."""
    import shutil

    import torch
    from executorch.backends.xnnpack.partition import graphs

    from yolocls.engine.exporter import export_model
    from yolocls.exporters import executorch as et
    from yolocls.models import load_checkpoint, model_from_checkpoint

    for name, (getter, needs) in et.PATTERN_SETS.items():
        patterns = list(getattr(getattr(graphs, name), getter)())
        assert patterns, name
        for pattern in patterns:
            ops = " ".join(str(n.target) for n in pattern.graph.nodes if n.op == "call_function")
            assert any(op in ops for op in needs), (name, ops)
    model = model_from_checkpoint(load_checkpoint(digits_ckpt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.export's deprecation chatter
        program = torch.export.export(model.eval(), (torch.zeros(1, 3, 32, 32),))
    builders = {name: getattr(getattr(graphs, name), getter) for name, (getter, _) in et.PATTERN_SETS.items()}
    with et.unmatchable_patterns_skipped(program) as skipped:
        assert skipped == ["bilinear_2d", "sdpa"]  # yolov8n-cls: no upsampling, no attention
    assert {name: getattr(getattr(graphs, name), getter) for name, (getter, _) in et.PATTERN_SETS.items()} == builders
    monkeypatch.setattr(et, "PATTERN_SETS", {})  # every pattern built and matched, as ExecuTorch does
    monkeypatch.setattr(et, "provenance_shared", contextlib.nullcontext)  # and every chain copied
    built = export_model(model, "executorch", source=shutil.copy(digits_ckpt, tmp_path / "best.pt"))
    assert (Path(built.path) / "model.pte").read_bytes() == (et_exports["fp32"] / "model.pte").read_bytes()
