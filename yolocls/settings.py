"""User settings: where datasets, weights and runs go, and which loggers are on, kept in one small YAML file.

`yolocls settings` shows them (with where each value comes from), `yolocls settings key=value` stores them,
`yolocls settings reset` goes back to the defaults. The file is `$YOLOCLS_CONFIG_DIR/settings.yaml`, else
`$XDG_CONFIG_HOME/yolocls/settings.yaml`, else `~/.config/yolocls/settings.yaml`. An environment variable
named in the table wins over the file, the file over the default. Dependency-free beyond PyYAML: any part of
yolocls may import it.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ._io import write_text
from .errors import ConfigError


def home() -> Path:
    """yolocls' cache folder: $YOLOCLS_HOME, else ~/.cache/yolocls (the demo model, weights, node packages)."""
    return Path(os.environ.get("YOLOCLS_HOME") or Path.home() / ".cache" / "yolocls").expanduser()


@dataclass(frozen=True)
class Setting:
    """One setting: its kind ('path' or 'bool'), its default (a callable for defaults that depend on the
    environment), the environment variable that overrides it, and one line of help."""

    kind: str
    default: Any
    help: str
    env: str | None = None
    label: str | None = None  # how docs and help show a default that depends on the environment

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def default_label(self) -> Any:
        return self.label if self.label is not None else self.default_value()


SETTINGS: dict[str, Setting] = {
    "datasets_dir": Setting("path", "datasets", "where named datasets and digits are written (relative: to the "
                            "working folder)", env="YOLOCLS_DATASETS"),
    "weights_dir": Setting("path", lambda: str(home() / "weights"), "where official weights (yolov8n-cls.pt...) "
                           "are downloaded to and looked up ($YOLOCLS_HOME: default ~/.cache/yolocls)", env="YOLOCLS_WEIGHTS_DIR",
                           label="$YOLOCLS_HOME/weights"),
    "runs_dir": Setting("path", "runs", "where train/val/predict runs go (<runs_dir>/classify/trainN)",
                        env="YOLOCLS_RUNS_DIR"),
    "tensorboard": Setting("bool", False, "log training to TensorBoard event files in the run folder "
                           "(needs: pip install tensorboard)"),
    "mlflow": Setting("bool", False, "log training to MLflow ($MLFLOW_TRACKING_URI, else <runs_dir>/mlflow; "
                      "needs: pip install mlflow-skinny)"),
}


def settings_file() -> Path:
    """The user settings file (it need not exist)."""
    if os.environ.get("YOLOCLS_CONFIG_DIR"):
        return Path(os.environ["YOLOCLS_CONFIG_DIR"]).expanduser() / "settings.yaml"
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config").expanduser()
    return base / "yolocls" / "settings.yaml"


def _read_file() -> dict[str, Any]:
    path = settings_file()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"cannot read the settings file '{path}': {e}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"the settings file '{path}' is not valid YAML ({str(e).splitlines()[0]}); fix it, or "
                          f"run 'yolocls settings reset'") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"the settings file '{path}' must hold 'key: value' lines; run 'yolocls settings reset'")
    return data


def _check_key(key: str) -> Setting:
    if key not in SETTINGS:
        close = difflib.get_close_matches(key, list(SETTINGS), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"unknown setting '{key}'.{hint} Settings: {', '.join(SETTINGS)}")
    return SETTINGS[key]


def coerce(key: str, value: Any) -> Any:
    """`value` as the kind of `key` wants: booleans from true/false/1/0/yes/no; paths as absolute strings (a
    relative path set from one folder keeps meaning that folder)."""
    s = _check_key(key)
    if s.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ConfigError(f"setting '{key}' is true or false; got {value!r}")
    if value is None or str(value).strip() == "":
        raise ConfigError(f"setting '{key}' needs a folder path; got {value!r}")
    return str(Path(str(value)).expanduser().absolute())


def get(key: str) -> Any:
    """The value in force for `key`: its environment variable, else the settings file, else the default."""
    return describe()[key][0]


def describe() -> dict[str, tuple[Any, str]]:
    """{key: (value in force, where it comes from: 'default' | 'file' | '$ENV')}."""
    stored = _read_file()
    out: dict[str, tuple[Any, str]] = {}
    for key, s in SETTINGS.items():
        if s.env and os.environ.get(s.env):
            out[key] = (coerce(key, os.environ[s.env]) if s.kind == "bool" else os.environ[s.env], f"${s.env}")
        elif key in stored:
            try:
                out[key] = (coerce(key, stored[key]), "file")
            except ConfigError as e:
                raise ConfigError(f"{e} (in {settings_file()}); fix it with 'yolocls settings {key}=...'") from None
        else:
            out[key] = (s.default_value(), "default")
    return out


def update(**values: Any) -> dict[str, Any]:
    """Store `values` in the settings file (checked, atomically; keys this version does not know are kept)."""
    clean = {k: coerce(k, v) for k, v in values.items()}
    stored = _read_file()
    stored.update(clean)
    write_text(settings_file(), "# yolocls settings: edit with 'yolocls settings key=value'\n"
               + yaml.safe_dump(stored, sort_keys=True))
    return clean


def reset() -> None:
    """Remove the settings file: every setting goes back to its default."""
    settings_file().unlink(missing_ok=True)


def datasets_dir() -> Path:
    return Path(get("datasets_dir")).expanduser()


def weights_dir() -> Path:
    return Path(get("weights_dir")).expanduser()


def runs_dir() -> Path:
    return Path(get("runs_dir")).expanduser()


def table() -> str:
    """The settings as the CLI prints them: key, value, source, help."""
    rows = describe()
    width = max(len(str(v)) for v, _ in rows.values())
    lines = [f"settings file: {settings_file()}{'' if settings_file().exists() else ' (not written yet: defaults)'}",
             ""]
    for key, (value, source) in rows.items():
        lines.append(f"  {key:<13} {str(value):<{width}}  [{source}]  {SETTINGS[key].help}")
    lines += ["", "change with 'yolocls settings key=value', go back to the defaults with 'yolocls settings reset'"]
    return "\n".join(lines)


def settings_cli(args: dict[str, Any], positional: list[str]) -> int:
    """`yolocls settings [reset] [key=value ...]`: prints the settings after any change."""
    if positional and positional != ["reset"]:
        raise ConfigError(f"'yolocls settings' takes key=value pairs or 'reset'; got {' '.join(positional)}")
    if positional:
        reset()
        print(f"settings reset: {settings_file()} removed")
    if args:
        changed = update(**args)
        print("updated: " + ", ".join(f"{k}={v}" for k, v in changed.items()))
        shadowed = [f"{k} (${SETTINGS[k].env} is set)" for k in changed if SETTINGS[k].env
                    and os.environ.get(SETTINGS[k].env or "")]
        if shadowed:
            print("note: the environment overrides " + ", ".join(shadowed))
    print(table())
    return 0
