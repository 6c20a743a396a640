"""Bad values are refused at the entry of each mode, CLI and Python alike, against the types, ranges and choices
cfg/default.yaml declares; never replaced by a default, saved as a string, or dropped."""

from __future__ import annotations

import pytest
import yaml

from yolocls.cfg import DEFAULTS_FILE, check_args, convert, load_defaults, mode_defaults
from yolocls.cli import main, parse_args
from yolocls.errors import ConfigError

from .conftest import TRACEBACK

# (mode, argument as typed, words the error must hold): the values the issue lists, and their kin
REFUSED = [
    ("train", "batch=0", "batch=0 is out of range: batch must be >= 2"),
    ("train", "imgsz=0", "imgsz=0 is out of range"),
    ("train", "lr0=abc", "lr0='abc' is not valid: lr0 must be a number > 0"),
    ("train", "imgsz=abc", "imgsz='abc' is not valid"),
    ("train", "epochs=0", "epochs=0 is out of range"),
    ("train", "fliplr=1.5", "fliplr=1.5 is out of range: fliplr must be in [0, 1]"),
    ("train", "optimizer=foo", "optimizer='foo' is not valid: use one of auto, SGD"),
    ("train", "workers=-1", "workers=-1 is out of range"),
    ("train", "half=True", "'half' is not an argument of yolocls train (it is used by export, bench)"),
    ("val", "epochs=3", "'epochs' is not an argument of yolocls val (it is used by train)"),
    ("val", "split=foo", "split='foo' is not valid"),
    ("predict", "batch=0", "batch=0 is out of range"),
    ("predict", "imgsz=[224,320]", "classification inputs are square"),
    ("predict", "device=cuda:0", "device=cuda:0 asks for a CUDA GPU, but none is visible here"),
    ("val", "device=0", "device=0 asks for a CUDA GPU"),
    ("export", "device=cuda:0", "device=cuda:0 asks for a CUDA GPU"),
    ("export", "imgsz=abc", "imgsz='abc' is not valid"),
    ("export", "half=maybe", "half='maybe' is not valid: half must be true or false"),
    ("bench", "batch=1,0", "batch=0 is out of range"),
    ("bench", "runs=0", "runs=0 is out of range"),
]


def _cuda_here() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize("mode, arg, words", REFUSED)
def test_cli_refuses_the_value_in_one_line(mode, arg, words, capsys):
    if "cuda" in words.lower() and _cuda_here():
        pytest.skip("this machine has a CUDA GPU, so the device is valid here")
    rc = main([mode, arg, "model=yolov8n-cls.yaml"])  # checked before any model is loaded or data is read
    err = capsys.readouterr().err
    assert rc == 2 and TRACEBACK not in err
    assert words in err, err


def test_scale_5e_minus_1_is_the_number_it_reads_as():
    """YAML 1.1 reads `5e-1` as a string; the typed check converts it (and `--scale 5e-1` is `scale=0.5`)."""
    args, _ = parse_args(["--scale", "5e-1", "lr0=1e-3", "name=123", "device=0,1"], "train", load_defaults())
    assert args["scale"] == "5e-1"  # what YAML gives ...
    checked = check_args("train", {k: v for k, v in args.items() if k != "device"})
    assert checked == {"scale": 0.5, "lr0": 0.001, "name": "123"}  # ... and what the mode receives
    assert convert("device", 0, {"type": "str"}) == "0"


def test_python_entry_points_refuse_the_same_values(digits_ckpt):
    from yolocls import YOLO

    with pytest.raises(ConfigError, match="batch=0 is out of range"):
        YOLO("yolov8n-cls.yaml").train(data="digits", batch=0, epochs=1)
    model = YOLO(digits_ckpt)
    with pytest.raises(ConfigError, match="'epochs' is not an argument of val"):
        model.val(data="digits", epochs=3)
    with pytest.raises(ConfigError, match="imgsz='abc' is not valid"):
        model.predict(None, imgsz="abc")
    with pytest.raises(ConfigError, match="lr0='abc'"):
        YOLO("yolov8n-cls.yaml").train(data="digits", lr0="abc")
    with pytest.raises(ConfigError, match="opset=0 is out of range"):
        model.export(format="onnx", opset=0)
    import yolocls.bench

    with pytest.raises(ConfigError, match="timeout=-1.0 is out of range"):
        yolocls.bench.run(model=str(digits_ckpt), formats="onnx", timeout=-1)


def test_every_argument_declares_a_type_and_its_default_passes_its_own_check():
    for key, spec in load_defaults().items():
        assert "type" in spec, f"{key} has no type in {DEFAULTS_FILE.name}"
        for mode in spec["modes"]:
            if spec.get("default") is not None and key != "device":
                assert check_args(mode, {key: spec["default"]}) == {key: spec["default"]}
    assert mode_defaults("val")["split"] == "val"


def test_choices_in_default_yaml_are_the_ones_the_code_takes():
    from yolocls.data.transforms import AUTO_AUGMENT
    from yolocls.engine.optim import OPTIMIZERS

    spec = yaml.safe_load(DEFAULTS_FILE.read_text())
    assert spec["optimizer"]["choices"] == ["auto", *OPTIMIZERS]
    assert spec["auto_augment"]["choices"] == list(AUTO_AUGMENT)
