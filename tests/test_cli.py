import subprocess
import sys

import pytest

from yolocls.cli import load_defaults, main, parse_args
from yolocls.errors import ConfigError


def test_info_prints_the_row_for_n(capsys):
    assert main(["info", "model=yolov8n-cls.yaml", "imgsz=224"]) == 0
    out = capsys.readouterr().out
    assert "2,719,288 parameters" in out and "0.405 GFLOPs" in out


def test_key_value_and_flags_are_equivalent():
    d = load_defaults()
    a, _ = parse_args(["model=yolov8s-cls.yaml", "imgsz=64", "half=True"], "export", d)
    b, _ = parse_args(["--model", "yolov8s-cls.yaml", "--imgsz=64", "--half"], "export", d)
    assert a == b == {"model": "yolov8s-cls.yaml", "imgsz": 64, "half": True}


def test_unknown_key_names_the_closest_valid_key():
    with pytest.raises(ConfigError, match="Did you mean 'imgsz'"):
        parse_args(["imgszz=3"], "train", load_defaults())
    assert main(["info", "modle=x"]) == 2


def test_help_lists_every_argument_of_the_mode_with_defaults(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    for key, spec in load_defaults().items():
        if "train" in spec["modes"]:
            assert f"{key}=" in out


def test_every_default_has_help_and_modes():
    for key, spec in load_defaults().items():
        assert spec.get("help") and spec.get("modes"), key


def test_python_dash_m_works():
    r = subprocess.run([sys.executable, "-m", "yolocls", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "modes:" in r.stdout
