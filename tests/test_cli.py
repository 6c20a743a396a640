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


# --- Ultralytics' habits ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, mode, rest", [
    (["classify", "train", "data=digits"], "train", ["data=digits"]),
    (["train", "task=classify", "data=digits"], "train", ["data=digits"]),
    (["task=classify", "mode=train", "data=digits"], "train", ["data=digits"]),
    (["--task", "classify", "--mode", "val", "--data", "digits"], "val", ["--data", "digits"]),
    (["benchmark", "model=best.pt"], "bench", ["model=best.pt"]),
    (["classify", "mode=benchmark"], "bench", []),
])
def test_ultralytics_command_forms_name_the_same_mode(argv, mode, rest):
    from yolocls.cli import split_mode

    assert split_mode(argv) == (mode, rest)


def test_task_word_first_runs_the_mode(capsys):
    assert main(["classify", "info", "model=yolov8n-cls.yaml", "imgsz=224"]) == 0
    assert "2,719,288 parameters" in capsys.readouterr().out
    assert main(["task=classify", "mode=info", "model=yolov8s-cls.yaml"]) == 0
    assert "6,361,736 parameters" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["detect", "train"], ["segment", "predict", "source=x.jpg"],
                                  ["train", "task=pose"], ["task=obb", "mode=val"]])
def test_other_tasks_get_one_line_saying_classification_only(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "yolocls is classification only" in err and err.count("\n") == 1 and "Traceback" not in err


def test_conflicting_or_missing_modes_are_clear_errors(capsys):
    assert main(["mode=train", "val"]) == 2
    assert "two modes given" in capsys.readouterr().err
    assert main(["classify"]) == 2
    assert "no mode given" in capsys.readouterr().err
    assert main(["benchmrk"]) == 2
    assert "Did you mean 'bench" in capsys.readouterr().err


def test_bench_help_shows_the_defaults_the_bench_really_uses(capsys):
    import inspect

    from yolocls.bench.runner import Bench

    assert main(["benchmark", "--help"]) == 0
    out = capsys.readouterr().out
    params = inspect.signature(Bench.__init__).parameters
    assert params["formats"].default == "all" and "  format=all " in out  # not export's torchscript
    assert params["runs"].default is None and "runs=(adaptive" in out  # not default.yaml's 100
    assert params["model"].default is None and "model=(the built-in demo)" in out
    for key in ("warmup", "timeout", "max_slowdown", "batch"):
        assert f"  {key}={params[key].default} " in out, key
    assert "keep=False" in out and "baseline=(none)" in out


def test_checks_reports_every_format_with_its_runtime_s_own_answer(capsys):
    from yolocls.exporters import exporter_names
    from yolocls.runtimes import unavailable_reason

    assert main(["checks"]) == 0
    out = capsys.readouterr().out
    for name in exporter_names():
        assert f"  {name} " in out, name
        why = unavailable_reason(name, "cpu")
        if why:
            assert why in out
    assert "torch " in out and "settings:" in out and "formats export and run here" in out


def test_format_checks_are_plain_data_for_tooling(capsys):
    from yolocls.bench.checks import format_checks

    rows = {r["format"]: r for r in format_checks("cpu")}
    assert rows["pt"]["run"] == "ok" and rows["onnx"]["versions"]
    assert main(["checks", "device=cpu"]) == 0
