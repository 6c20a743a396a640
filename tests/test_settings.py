"""User settings: `yolocls settings key=value` round trip, what each setting changes, and bad values or files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from yolocls import settings
from yolocls.cli import main
from yolocls.errors import ConfigError


@pytest.fixture
def config(tmp_path: Path, monkeypatch) -> Path:
    """A settings folder of this test's own, and no environment variable shadowing the file."""
    monkeypatch.setenv("YOLOCLS_CONFIG_DIR", str(tmp_path / "config"))
    for s in settings.SETTINGS.values():
        if s.env:
            monkeypatch.delenv(s.env, raising=False)
    return tmp_path / "config" / "settings.yaml"


def test_settings_round_trip_through_the_cli(config, tmp_path, capsys, monkeypatch):
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "datasets_dir" in out and "[default]" in out and not config.exists()
    monkeypatch.chdir(tmp_path)
    assert main(["settings", "datasets_dir=data", "tensorboard=True", "--mlflow", "yes"]) == 0
    out = capsys.readouterr().out
    stored = yaml.safe_load(config.read_text())
    assert stored == {"datasets_dir": str(tmp_path / "data"), "tensorboard": True, "mlflow": True}  # made absolute
    assert "[file]" in out and str(tmp_path / "data") in out
    assert settings.get("tensorboard") is True and settings.datasets_dir() == tmp_path / "data"
    assert [p.name for p in config.parent.iterdir()] == ["settings.yaml"]  # written atomically
    assert main(["settings", "tensorboard=false"]) == 0
    assert yaml.safe_load(config.read_text())["tensorboard"] is False
    assert yaml.safe_load(config.read_text())["mlflow"] is True  # the other keys are kept
    assert main(["settings", "reset"]) == 0
    assert not config.exists() and settings.get("tensorboard") is False


def test_the_environment_wins_over_the_file_and_says_so(config, tmp_path, monkeypatch, capsys):
    settings.update(datasets_dir=tmp_path / "from_file")
    monkeypatch.setenv("YOLOCLS_DATASETS", str(tmp_path / "from_env"))
    assert settings.describe()["datasets_dir"] == (str(tmp_path / "from_env"), "$YOLOCLS_DATASETS")
    assert main(["settings", f"datasets_dir={tmp_path / 'other'}"]) == 0
    assert "the environment overrides datasets_dir" in capsys.readouterr().out


def test_each_directory_setting_moves_what_it_names(config, tmp_path, monkeypatch):
    from yolocls.data.folder import resolve_data
    from yolocls.engine.runs import run_dir

    settings.update(datasets_dir=tmp_path / "ds", runs_dir=tmp_path / "r", weights_dir=tmp_path / "w")
    assert resolve_data("digits") == tmp_path / "ds" / "digits" and (tmp_path / "ds" / "digits" / "train").is_dir()
    assert run_dir("val") == tmp_path / "r" / "classify" / "val"
    from yolocls.models.weights import resolve_weights

    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "yolov8n-cls.pt").write_bytes(b"cached")
    monkeypatch.chdir(tmp_path)
    assert resolve_weights("yolov8n-cls.pt") == tmp_path / "w" / "yolov8n-cls.pt"


def test_bad_values_keys_and_files_are_one_clear_line(config, capsys):
    assert main(["settings", "tensorboard=maybe"]) == 2
    assert "setting 'tensorboard' is true or false" in capsys.readouterr().err
    assert main(["settings", "dataset_dir=/x"]) == 2
    assert "Did you mean 'datasets_dir'" in capsys.readouterr().err
    config.parent.mkdir(parents=True)
    config.write_text("tensorboard: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML.*yolocls settings reset"):
        settings.get("tensorboard")
    config.write_text("tensorboard: 7\n")
    with pytest.raises(ConfigError, match=f"true or false.*{config}"):
        settings.get("tensorboard")
    assert main(["settings", "reset"]) == 0 and settings.get("tensorboard") is False
