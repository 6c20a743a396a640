"""Importing Ultralytics classification checkpoints: same probabilities, nothing from the file runs.

`ultralytics_fixture` is a real Ultralytics 8.4.190 `best.pt` with the probabilities Ultralytics computed for it.
The other files are written by `ultralytics_writer` (Ultralytics cannot be installed here) or are the real file
with its pickle edited byte by byte; each test says which.
"""

from __future__ import annotations

import collections
import importlib.util
import os
import shutil
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from yolocls import YOLO
from yolocls.cli import main
from yolocls.errors import CheckpointError
from yolocls.models import (
    ClassificationModel,
    checkpoint_from_model,
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
)
from yolocls.models.load import is_ultralytics_checkpoint
from yolocls.models.safe_unpickle import load_pickled_checkpoint, pickle_globals
from yolocls.models.ultralytics import ALLOWED_RECORDS, convert_ultralytics_checkpoint

from .ultralytics_writer import Obj, from_records, module_obj, write_checkpoint


@pytest.fixture(scope="module")
def expected(ultralytics_fixture: Path) -> dict[str, np.ndarray]:
    return dict(np.load(ultralytics_fixture.with_name("yolov8n-cls-digits.expected.npz")))


@pytest.fixture(scope="module")
def records(ultralytics_fixture: Path) -> dict:
    """The real checkpoint's top-level dict, every object an inert record."""
    return load_pickled_checkpoint(ultralytics_fixture, ALLOWED_RECORDS)


def probs(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.eval()(torch.from_numpy(x)).numpy()


def edit_pickle(src: Path, dst: Path, edit) -> Path:
    """Copy the checkpoint `src` to `dst` with its data.pkl replaced by `edit(data.pkl bytes)`."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item, edit(data) if item.filename.endswith("/data.pkl") else data)
    return dst


def swap_global(old: str, new: str):
    """An edit that makes the pickle name `new` wherever it named `old` (GLOBAL opcodes, protocol 2)."""
    def edit(data: bytes) -> bytes:
        o, n = (f"c{g.rpartition('.')[0]}\n{g.rpartition('.')[2]}\n".encode() for g in (old, new))
        assert o in data, f"{old} is not named by the pickle"
        return data.replace(o, n)
    return edit


def test_probabilities_match_ultralytics_on_both_stored_inputs(ultralytics_fixture, expected):
    model = YOLO(ultralytics_fixture)  # detected as Ultralytics by itself
    for x, p in (("x32", "probs32"), ("x224", "probs224")):
        assert np.abs(probs(model.model, expected[x]) - expected[p]).max() < 1e-5, x
    assert probs(model.model, expected["x32"]).argmax(1).tolist() == expected["labels"].tolist() == list(range(10))
    assert model.names == {i: str(i) for i in range(10)} and model.imgsz == 32
    assert model.model.args["data"] == "digits" and model.model.args["epochs"] == 10
    assert model.ckpt["provenance"]["version"] == "8.4.190"
    assert model.ckpt["provenance"]["date"].startswith("2026-11-25")
    assert model.ckpt["yaml"]["scale"] == "n" and model.ckpt["yaml"]["bn_eps"] == 1e-5  # what the file's BNs say


def test_pt_runtime_reads_ultralytics_checkpoint(ultralytics_fixture, expected):
    from yolocls.runtimes import load_runtime

    rt = load_runtime(ultralytics_fixture)
    assert np.abs(rt.predict(expected["x32"]) - expected["probs32"]).max() < 1e-5


def test_neither_ultralytics_nor_torchvision_is_installed_or_imported(ultralytics_fixture):
    assert importlib.util.find_spec("ultralytics") is None
    assert importlib.util.find_spec("torchvision") is None
    convert_ultralytics_checkpoint(ultralytics_fixture)
    assert not [m for m in sys.modules if m.split(".")[0] in ("ultralytics", "torchvision")]


def test_import_cli_writes_native_checkpoint_that_loads_weights_only(ultralytics_fixture, expected, tmp_path, capsys):
    out = tmp_path / "out" / "ours.pt"
    assert main(["import", "ultralytics", str(ultralytics_fixture), "--out", str(out)]) == 0
    assert "8.4.190" in capsys.readouterr().out
    assert os.listdir(out.parent) == ["ours.pt"]  # written atomically: no temp file left
    raw = torch.load(out, map_location="cpu", weights_only=True)  # plain data only
    assert raw["format"].startswith("yolocls") and raw["model"]["model.0.conv.weight"].dtype == torch.float32
    assert raw["provenance"]["sha256"] == __import__("hashlib").sha256(ultralytics_fixture.read_bytes()).hexdigest()
    assert not is_ultralytics_checkpoint(out)  # its strings say "ultralytics"; its pickle names no Ultralytics class
    m = model_from_checkpoint(load_checkpoint(out))
    assert np.abs(probs(m, expected["x224"]) - expected["probs224"]).max() < 1e-5
    assert m.names[3] == "3" and m.imgsz == 32 and m.args["data"] == "digits"


def test_import_cli_refuses_to_overwrite_its_source_and_bad_usage(ultralytics_fixture, tmp_path):
    src = Path(shutil.copy(ultralytics_fixture, tmp_path / "best.pt"))
    before = src.read_bytes()
    assert main(["import", "ultralytics", str(src), "--out", str(src)]) == 2
    assert main(["import", "keras", str(src)]) == 2
    assert src.read_bytes() == before
    assert main(["import", str(src)]) == 0 and (tmp_path / "best-yolocls.pt").is_file()  # default out, beside SRC


def test_pickle_naming_another_global_is_refused_by_name(ultralytics_fixture, tmp_path):
    bad = edit_pickle(ultralytics_fixture, tmp_path / "bad.pt",
                      swap_global("torchvision.transforms.transforms.ToTensor", "os.system"))
    assert "os.system" in pickle_globals(zipfile.ZipFile(bad).read("yolov8n-cls-digits/data.pkl"))
    with pytest.raises(CheckpointError, match=r"names 'os\.system'.*Nothing from the file was executed"):
        YOLO(bad)


def test_code_in_the_pickle_never_runs(ultralytics_fixture, tmp_path, capsys):
    """The real checkpoint plus one entry, `'evil': os.system('touch <marker>')`, as the first item of its dict."""
    marker = tmp_path / "marker"
    payload = (b"X" + struct.pack("<I", 4) + b"evil" + b"cos\nsystem\n"
               + b"X" + struct.pack("<I", len(f"touch {marker}")) + f"touch {marker}".encode() + b"\x85Rs")
    evil = edit_pickle(ultralytics_fixture, tmp_path / "evil.pt",
                       lambda d: d.replace(b"\x80\x02}q\x00", b"\x80\x02}q\x00" + payload, 1))
    with pytest.raises(CheckpointError, match=r"os\.system"):
        YOLO(evil)
    assert main(["import", "ultralytics", str(evil), "--out", str(tmp_path / "x.pt")]) == 2
    assert "os.system" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "x.pt").exists()
    # The payload is live: the ordinary loader runs it (then fails to import ultralytics, which is not installed).
    with pytest.raises(ModuleNotFoundError, match="ultralytics"):
        torch.load(evil, map_location="cpu", weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize(("cls", "task"), [("DetectionModel", "detection"), ("SegmentationModel", "segmentation"),
                                          ("PoseModel", "pose")])
def test_other_tasks_get_a_clear_error(ultralytics_fixture, tmp_path, cls, task):
    """The real file with its model class renamed (byte edit): the error says what it is and what is supported."""
    p = edit_pickle(ultralytics_fixture, tmp_path / f"{task}.pt",
                    swap_global("ultralytics.nn.tasks.ClassificationModel", f"ultralytics.nn.tasks.{cls}"))
    with pytest.raises(CheckpointError, match=rf"holds an? {task} model .*{cls}.*imports only Ultralytics "
                                              r"classification checkpoints"):
        load_checkpoint(p)


def test_blocks_we_do_not_have_get_a_clear_error(ultralytics_fixture, records, tmp_path):
    # In the pickled modules (byte edit of the real file), as a yolo11-cls checkpoint would name them...
    p = edit_pickle(ultralytics_fixture, tmp_path / "c3k2.pt",
                    swap_global("ultralytics.nn.modules.block.C2f", "ultralytics.nn.modules.block.C3k2"))
    with pytest.raises(CheckpointError, match=r"built with 'C3k2'.*does not have"):
        load_checkpoint(p)
    # ...and in the embedded YAML only (written by our writer).
    ck = from_records(records)
    ck["model"].state["yaml"]["backbone"][2][2] = "C2PSA"
    with pytest.raises(CheckpointError, match=r"YAML uses C2PSA, which yolocls does not have"):
        load_checkpoint(write_checkpoint(ck, tmp_path / "yaml.pt"))


def test_truncated_pickle_is_a_clear_error(ultralytics_fixture, tmp_path):
    p = edit_pickle(ultralytics_fixture, tmp_path / "trunc.pt", lambda d: d[: len(d) // 2])
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(p)


def test_fp32_weights_give_the_same_probabilities(records, expected, tmp_path):
    ck = from_records(records)

    def to_fp32(o):
        if isinstance(o, Obj):
            for k in ("_parameters", "_buffers"):
                if isinstance(o.state, dict) and k in o.state:
                    o.state[k] = collections.OrderedDict((n, t.float() if t is not None and t.is_floating_point() else t)
                                                         for n, t in o.state[k].items())
            for c in (o.state or {}).get("_modules", {}).values():
                to_fp32(c)

    to_fp32(ck["model"])
    p = write_checkpoint(ck, tmp_path / "fp32.pt")
    assert "torch.FloatStorage" in pickle_globals(zipfile.ZipFile(p).read("fp32/data.pkl"))
    assert "torch.HalfStorage" not in pickle_globals(zipfile.ZipFile(p).read("fp32/data.pkl"))
    m = YOLO(p).model
    assert np.abs(probs(m, expected["x32"]) - expected["probs32"]).max() < 1e-5


def _fitness(value: float) -> Obj:
    """A NumPy float64 scalar as NumPy pickles it (dtype record + raw bytes)."""
    dtype = Obj("numpy.dtype", (3, "<", None, None, None, -1, -1, 0), ("f8", False, True), reduce=True)
    return Obj("numpy.core.multiarray.scalar", None, (dtype, struct.pack("<d", value)), reduce=True)


@pytest.mark.parametrize("layout", ["ema-only", "model-and-ema"])
def test_unstripped_last_pt_with_optimizer_state_uses_ema_weights(records, expected, tmp_path, layout):
    """last.pt as Ultralytics >= 8.1 writes it (model None, EMA model, fp16 optimizer state, GradScaler state),
    or as 8.0 did (both; the non-EMA weights here are deliberately wrong so only the EMA gives the stored output)."""
    ck = from_records(records)
    ema = ck["model"]
    ema.state["args"] = Obj("ultralytics.utils.IterableSimpleNamespace", dict(ck["train_args"]))
    if layout == "model-and-ema":
        model = from_records(records["model"])
        head = model.state["_modules"]["model"].state["_modules"]["9"].state["_modules"]["linear"]
        head.state["_parameters"]["weight"] = head.state["_parameters"]["weight"].flip(0)
        ema.state["criterion"] = Obj("ultralytics.utils.loss.v8ClassificationLoss", {})
    else:
        model = None
    w = records["model"].state["_modules"]["model"].state["_modules"]["0"].state["_modules"]["conv"]
    w = w.state["_parameters"]["weight"]
    ck.update(model=model, ema=ema, epoch=9, updates=1000, best_fitness=_fitness(0.94444),
              scaler={"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                      "_growth_tracker": 0},
              optimizer={"state": {0: {"step": torch.tensor(1000.0), "exp_avg": w.clone(), "exp_avg_sq": w.abs()}},
                         "param_groups": [{"lr": 7e-4, "betas": (0.937, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                                           "amsgrad": False, "foreach": None, "maximize": False,
                                           "capturable": False, "differentiable": False, "fused": None,
                                           "initial_lr": 7.14e-4, "params": [0, 1, 2]}]})
    y = YOLO(write_checkpoint(ck, tmp_path / "last.pt"))
    assert np.abs(probs(y.model, expected["x32"]) - expected["probs32"]).max() < 1e-5
    assert y.ckpt["provenance"]["weights"] == "ema" and y.ckpt["epoch"] == 9
    assert y.ckpt["best_fitness"] == 0.94444 and "optimizer" not in y.ckpt


def test_other_scale_imagenet_sized_head_and_bn_eps(records, tmp_path):
    """A yolov8s-cls with 1000 classes and Ultralytics-style BatchNorm (eps 1e-3, momentum 0.03), written from a
    yolocls model in Ultralytics' module layout: proves the mapping at another scale and nc (not Ultralytics'
    numerics, which only the real fixture can)."""
    torch.manual_seed(0)
    src = ClassificationModel("yolov8s-cls.yaml", nc=1000).eval()
    g = torch.Generator().manual_seed(1)
    for m in src.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eps, m.momentum = 1e-3, 0.03
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 0.01 + 1e-4)  # small: eps matters
    root = module_obj(src)
    yaml = dict(records["model"].state["yaml"], nc=1000, scale="s", yaml_file="yolov8s-cls.yaml")
    root.state.update(yaml=yaml, names={i: f"n{i:08d}" for i in range(1000)}, stride=torch.tensor([1.0]))
    ck = {"date": "2024-01-01T00:00:00", "version": "8.1.0", "epoch": -1, "best_fitness": None, "model": root,
          "ema": None, "optimizer": None, "train_args": {"data": "imagenet", "imgsz": 224, "task": "classify"}}
    y = YOLO(write_checkpoint(ck, tmp_path / "s1000.pt"))
    assert y.ckpt["yaml"]["scale"] == "s" and y.ckpt["yaml"]["bn_eps"] == 1e-3 and len(y.names) == 1000
    assert all(m.eps == 1e-3 and m.momentum == 0.03 for m in y.model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    ref = src.half().float().eval()  # the same fp16-rounded weights
    x = torch.rand(2, 3, 64, 64, generator=g)
    with torch.no_grad():
        assert torch.equal(y.model(x), ref(x))
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eps = 1e-5
        assert not torch.allclose(y.model(x), ref(x), rtol=0, atol=1e-6)  # so eps really was read, not defaulted


def test_scale_is_inferred_when_the_yaml_does_not_name_it(records, expected, tmp_path):
    """Older checkpoints' YAMLs may lack `scale` (and `yaml_file`); with 's' listed first, a default would be wrong."""
    ck = from_records(records)
    yaml = ck["model"].state["yaml"]
    del yaml["scale"], yaml["yaml_file"]
    yaml["scales"] = {"s": yaml["scales"]["s"], **yaml["scales"]}
    y = YOLO(write_checkpoint(ck, tmp_path / "noscale.pt"))
    assert y.ckpt["yaml"]["scale"] == "n"
    assert np.abs(probs(y.model, expected["x32"]) - expected["probs32"]).max() < 1e-5


def test_the_word_ultralytics_in_a_native_checkpoint_does_not_make_it_one(tmp_path):
    m = ClassificationModel("yolov8n-cls.yaml", nc=2)
    m.args = {"data": "/home/me/ultralytics/datasets/cats"}
    p = save_checkpoint(checkpoint_from_model(m), tmp_path / "native.pt")
    assert not is_ultralytics_checkpoint(p) and load_checkpoint(p)["train_args"]["data"].endswith("cats")


@pytest.mark.onnx
def test_onnx_export_matches_ultralytics_probabilities(ultralytics_fixture, expected, tmp_path):
    from yolocls.runtimes import load_runtime

    src = Path(shutil.copy(ultralytics_fixture, tmp_path / "best.pt"))  # the artifact lands beside its source
    onnx = YOLO(src).export(format="onnx")  # static imgsz: the checkpoint's, 32
    rt = load_runtime(onnx)
    assert np.abs(rt.predict(expected["x32"]) - expected["probs32"]).max() < 1e-4
    assert rt.metadata["provenance"]["version"] == "8.4.190" and rt.names[9] == "9"
