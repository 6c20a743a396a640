"""Importing Ultralytics YOLO11-cls / YOLO26-cls checkpoints: Ultralytics' probabilities, the structure the file's
own layers have (not what today's YAML rules would build), and nothing from the file runs.

`ultralytics_yolo11_fixture` is a real Ultralytics 8.4.190 yolo11n-cls `best.pt` with the probabilities Ultralytics
computed for it; the other files are byte edits of it or are written by `ultralytics_writer` (each test says which).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from yolocls import YOLO
from yolocls.cli import main
from yolocls.errors import CheckpointError
from yolocls.models import ClassificationModel, count_params, load_checkpoint, model_from_checkpoint
from yolocls.models.attention import C2PSA, PSABlock
from yolocls.models.csp import C3k, C3k2
from yolocls.models.safe_unpickle import load_pickled_checkpoint, pickle_globals
from yolocls.models.ultralytics import ALLOWED_RECORDS

from .ultralytics_writer import edit_pickle, from_records, module_obj, swap_global, write_checkpoint


@pytest.fixture(scope="module")
def expected(ultralytics_yolo11_fixture: Path) -> dict[str, np.ndarray]:
    return dict(np.load(ultralytics_yolo11_fixture.with_name("yolo11n-cls-digits.expected.npz")))


@pytest.fixture(scope="module")
def records(ultralytics_yolo11_fixture: Path) -> dict:
    return load_pickled_checkpoint(ultralytics_yolo11_fixture, ALLOWED_RECORDS)


def probs(model: torch.nn.Module, x: np.ndarray | torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return model.eval()(torch.as_tensor(x)).numpy()


def test_yolo11_probabilities_match_ultralytics_on_both_stored_inputs(ultralytics_yolo11_fixture, expected):
    y = YOLO(ultralytics_yolo11_fixture)
    for x, p in (("x32", "probs32"), ("x224", "probs224")):
        assert np.abs(probs(y.model, expected[x]) - expected[p]).max() < 1e-5, x
    ours = probs(y.model, expected["x32"]).argmax(1)
    assert ours.tolist() == expected["probs32"].argmax(1).tolist()  # Ultralytics' answers, right or wrong
    assert (ours == expected["labels"]).sum() == 5  # 3 epochs of training: half the digits (README of the fixture)
    assert y.names == {i: str(i) for i in range(10)} and y.imgsz == 32
    assert y.ckpt["provenance"]["version"] == "8.4.190" and y.ckpt["yaml"]["yaml_file"] == "yolo11n-cls.yaml"
    assert count_params(y.model) == 1_543_914  # what Ultralytics reports for this file


def test_yolo11_layers_are_read_from_the_file(ultralytics_yolo11_fixture):
    """Layers 6 and 8 use C3k inner blocks, 2 and 4 plain Bottlenecks, 9 is attention with 2 heads."""
    m = YOLO(ultralytics_yolo11_fixture).model.model
    assert [type(layer).__name__ for layer in m] == ["Conv", "Conv", "C3k2", "Conv", "C3k2", "Conv", "C3k2",
                                                      "Conv", "C3k2", "C2PSA", "Classify"]
    assert [isinstance(m[i].m[0], C3k) for i in (2, 4, 6, 8)] == [False, False, True, True]
    assert isinstance(m[9], C2PSA) and m[9].m[0].attn.num_heads == 2 and m[9].m[0].attn.key_dim == 32


def test_yolo11_import_cli_round_trip(ultralytics_yolo11_fixture, expected, tmp_path, capsys):
    out = tmp_path / "ours.pt"
    assert main(["import", "ultralytics", str(ultralytics_yolo11_fixture), "--out", str(out)]) == 0
    assert "yolo11n-cls.yaml" in capsys.readouterr().out
    raw = torch.load(out, map_location="cpu", weights_only=True)  # plain data only
    assert raw["yaml"]["head"] == [[-1, 1, "Classify", [10]]]
    m = model_from_checkpoint(load_checkpoint(out))
    assert np.abs(probs(m, expected["x224"]) - expected["probs224"]).max() < 1e-5


def test_tampered_yolo11_copy_is_refused_by_name(ultralytics_yolo11_fixture, tmp_path):
    bad = edit_pickle(ultralytics_yolo11_fixture, tmp_path / "bad.pt",
                      swap_global("ultralytics.nn.modules.block.Attention", "builtins.exec"))
    assert "builtins.exec" in pickle_globals(zipfile.ZipFile(bad).read("best/data.pkl"))
    with pytest.raises(CheckpointError, match=r"names 'builtins\.exec'.*Nothing from the file was executed"):
        YOLO(bad)


def test_code_in_a_yolo11_pickle_never_runs(ultralytics_yolo11_fixture, tmp_path):
    """The real file plus `'evil': os.system('touch <marker>')` as the first entry of its dict."""
    marker = tmp_path / "marker"
    cmd = f"touch {marker}".encode()
    payload = (b"X" + struct.pack("<I", 4) + b"evil" + b"cos\nsystem\n"
               + b"X" + struct.pack("<I", len(cmd)) + cmd + b"\x85Rs")
    evil = edit_pickle(ultralytics_yolo11_fixture, tmp_path / "evil.pt",
                       lambda d: d.replace(b"\x80\x02}q\x00", b"\x80\x02}q\x00" + payload, 1))
    with pytest.raises(CheckpointError, match=r"os\.system"):
        load_checkpoint(evil)
    assert not marker.exists()
    with pytest.raises(ModuleNotFoundError, match="ultralytics"):  # the payload is live for the ordinary loader
        torch.load(evil, map_location="cpu", weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize(("attr", "value"), [("num_heads", 4), ("add", False)])
def test_attention_settings_that_leave_no_trace_in_the_tensors_are_checked(records, tmp_path, attr, value):
    """4 heads of key_dim 16 have the same qkv weight shape as 2 of 32, and a PSABlock without its shortcut has
    the same tensors: loading the weights alone would compute something else without a word."""
    ck = from_records(records)
    psa = ck["model"].state["_modules"]["model"].state["_modules"]["9"].state["_modules"]["m"].state["_modules"]["0"]
    target = psa.state["_modules"]["attn"] if attr == "num_heads" else psa
    target.state[attr] = value
    if attr == "num_heads":
        target.state.update(key_dim=16, head_dim=32)
    with pytest.raises(CheckpointError, match=rf"'model\.9\.m\.0(\.attn)?\.{attr}' is {value!r} in the checkpoint"):
        load_checkpoint(write_checkpoint(ck, tmp_path / "edited.pt"))


def _older_yolo11n(nc: int) -> ClassificationModel:
    """A yolo11n-cls-shaped model whose layers differ from what today's rules build from the yolo11n-cls YAML:
    C3k2 layers 6 and 8 with plain Bottlenecks instead of C3k, layer 4 with Bottleneck + attention pairs, two
    PSABlocks in layer 9 (depth 0.5 gives one), a narrower layer 7 (192 instead of 256 channels)."""
    rows = [[-1, 1, "Conv", [16, 3, 2]], [-1, 1, "Conv", [32, 3, 2]], [-1, 1, "C3k2", [64, False, 0.25]],
            [-1, 1, "Conv", [64, 3, 2]], [-1, 1, "C3k2", [128, False, 0.5, True]], [-1, 1, "Conv", [128, 3, 2]],
            [-1, 1, "C3k2", [128, False]], [-1, 1, "Conv", [192, 3, 2]], [-1, 1, "C3k2", [192, False]],
            [-1, 2, "C2PSA", [192]]]
    torch.manual_seed(0)
    m = ClassificationModel({"nc": nc, "backbone": rows, "head": [[-1, 1, "Classify", ["nc"]]]}).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.2)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
    return m


def test_older_layer_structure_is_built_from_the_file_not_from_its_yaml(records, tmp_path):
    """Written by our writer in Ultralytics' layout, with the real fixture's yolo11n-cls YAML embedded, 80 classes."""
    src = _older_yolo11n(nc=80)
    root = module_obj(src)
    yaml = dict(records["model"].state["yaml"], nc=80)
    root.state.update(yaml=yaml, names={i: f"c{i}" for i in range(80)}, stride=torch.tensor([1.0]))
    ck = {"date": "2024-10-01T00:00:00", "version": "8.3.0", "epoch": -1, "best_fitness": None, "model": root,
          "ema": None, "optimizer": None, "train_args": {"data": "coco-cls", "imgsz": 64, "task": "classify"}}
    y = YOLO(write_checkpoint(ck, tmp_path / "older.pt"))
    m = y.model.model
    assert isinstance(m[4].m[0][1], PSABlock) and not any(isinstance(b, C3k) for b in m[6].m)
    assert len(m[9].m) == 2 and m[7].conv.out_channels == 192 and len(y.names) == 80
    assert count_params(y.model) == count_params(src) != count_params(ClassificationModel("yolo11n-cls.yaml", nc=80))
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    ref = src.half().float().eval()  # the same fp16-rounded weights
    assert np.abs(probs(y.model, x) - probs(ref, x)).max() < 1e-6


def test_the_yaml_comment_figure_is_the_same_network_at_80_classes(records, tmp_path):
    """Ultralytics' YAML says 1,633,584 parameters for yolo11n-cls: that is today's network counted at nc=80
    (detection's default), 1,178,520 fewer than at nc=1000. Such a file, written in Ultralytics' layout, imports."""
    src = ClassificationModel("yolo11n-cls.yaml", nc=80).eval()
    assert count_params(src) == 1_633_584 and count_params(ClassificationModel("yolo11n-cls.yaml")) == 2_812_104
    root = module_obj(src)
    root.state.update(yaml=dict(records["model"].state["yaml"], nc=80), names={i: str(i) for i in range(80)})
    ck = {"version": "8.3.0", "model": root, "ema": None, "train_args": {"imgsz": 224}}
    y = YOLO(write_checkpoint(ck, tmp_path / "nc80.pt"))
    assert count_params(y.model) == 1_633_584 and isinstance(y.model.model[6], C3k2)
