"""The arguments of every mode: `default.yaml` (default, modes, help, and type / range / choices), and the one typed
check of a mode's arguments, run at the entry of each mode for the CLI and the Python API alike.

`check_args("train", {"batch": "0"})` raises ConfigError("batch=0 is out of range: ..."), never replaces the value;
a value of the right meaning in another spelling is converted (`"5e-1"` -> 0.5, `"true"` -> True, `0` -> "0" for a
device). Schema keys, per argument:
- `type`: int, float, bool, str, path, size (an int, or [n, n]), ints (one int or a comma list: 1,8,32), list,
  device (a string; a CUDA device must exist here), any; or a list of types tried in order (`[bool, path]`:
  true/false, else a path);
- `range`: an interval such as "[1, inf)" or "(0, 1]"; `choices`: allowed strings (compared case-insensitively);
- `nullable`: whether None is allowed (default: when the default is null);
- `<mode>`: overrides of the above for one mode (bench takes `batch` as a list).
"""

from __future__ import annotations

import difflib
import math
from functools import cache
from pathlib import Path
from typing import Any

from .._yaml import safe_load
from ..errors import ConfigError

DEFAULTS_FILE = Path(__file__).with_name("default.yaml")
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
_TYPE_WORDS = {"device": "a device (cpu, 0, cuda:0, 0,1)", "int": "an integer", "float": "a number", "bool": "true or false", "str": "a string",
               "path": "a path", "size": "one image size (an integer)", "ints": "an integer or a comma list of integers",
               "list": "a list", "any": "any value"}


@cache
def load_defaults() -> dict[str, dict[str, Any]]:
    """Every argument's spec from default.yaml (read once)."""
    return safe_load(DEFAULTS_FILE.read_text())


def mode_defaults(mode: str) -> dict[str, Any]:
    """The arguments `mode` takes, with their defaults."""
    return {k: v.get("default") for k, v in load_defaults().items() if mode in v.get("modes", [])}


def spec_for(key: str, mode: str) -> dict[str, Any]:
    """The spec of `key` as `mode` reads it (the mode's overrides applied)."""
    spec = dict(load_defaults()[key])
    spec.update(spec.pop(mode, None) or {})
    return spec


def check_args(mode: str, args: dict[str, Any], *, caller: str | None = None) -> dict[str, Any]:
    """`args` of `mode` with every value converted to its declared type; ConfigError for an argument `mode` does
    not take (unknown, or another mode's), or a value of the wrong type, out of range or not among the choices.
    Keys starting with `_` are internal and pass unchecked. `caller` names the entry point in messages."""
    table = load_defaults()
    where = caller or f"yolocls {mode}"
    out = {}
    for key, value in args.items():
        if key.startswith("_"):
            out[key] = value
            continue
        if key not in table:
            close = difflib.get_close_matches(key, [k for k, s in table.items() if mode in s.get("modes", [])], n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"unknown argument '{key}' for {where}.{hint} See 'yolocls {mode} --help'")
        modes = table[key].get("modes", [])
        if mode not in modes:
            raise ConfigError(f"'{key}' is not an argument of {where} (it is used by {', '.join(modes)}); remove it. "
                              f"See 'yolocls {mode} --help'")
        out[key] = convert(key, value, spec_for(key, mode))
    return out


def convert(key: str, value: Any, spec: dict[str, Any]) -> Any:
    """One value -> its declared type, range- and choice-checked; ConfigError naming `key` otherwise."""
    nullable = spec.get("nullable", spec.get("default") is None)
    if value is None or (isinstance(value, str) and value.lower() in ("none", "null") and nullable):
        if nullable:
            return None
        raise ConfigError(f"{key}=None is not allowed: {key} must be {_describe(spec)}")
    types = spec.get("type", "any")
    errors = []
    for t in types if isinstance(types, list) else [types]:
        try:
            v = _as(t, value, key)
        except (TypeError, ValueError) as e:
            errors.append(str(e))
            continue
        _check_range(key, v, spec)
        _check_choices(key, v, spec)
        if t == "device":
            problem = device_problem(v)
            if problem:
                raise ConfigError(problem)
        return v
    raise ConfigError(f"{key}={value!r} is not valid: {key} must be {_describe(spec)}"
                      + (f" ({errors[0]})" if errors and errors[0] else ""))


def _as(t: str, v: Any, key: str) -> Any:
    if t == "any":
        return v
    if t == "bool":
        if isinstance(v, bool):
            return v
        if isinstance(v, int) and v in (0, 1):
            return bool(v)
        if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            return v.strip().lower() in _TRUE
        raise ValueError("")
    if t == "int":
        return _int(v)
    if t == "float":
        if isinstance(v, bool):
            raise ValueError("")
        f = _float(v)  # float('5e-1') == 0.5 (YAML 1.1 reads it as a string)
        if math.isnan(f):
            raise ValueError("nan is not a number here")
        return f
    if t == "device":
        if isinstance(v, (list, tuple)):
            return ",".join(str(x) for x in v)
        t = "str"
    if t in ("str", "path"):
        if isinstance(v, (str, Path)) or (isinstance(v, (int, float)) and not isinstance(v, bool)):
            return str(v)
        raise ValueError("")
    if t == "size":
        if isinstance(v, (list, tuple)):
            sizes = {_int(s) for s in v}
            if len(sizes) != 1:
                raise ValueError("classification inputs are square: give one size")
            return sizes.pop()
        return _int(v)
    if t == "ints":
        items = v if isinstance(v, (list, tuple)) else str(v).split(",") if isinstance(v, str) else [v]
        out = [_int(s) for s in items if not (isinstance(s, str) and not s.strip())]
        if not out:
            raise ValueError("")
        return out
    if t == "list":
        if isinstance(v, (list, tuple)):
            return list(v)
        raise ValueError("")
    raise ConfigError(f"default.yaml declares an unknown type '{t}' for '{key}'")


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v.is_integer():
            return int(v)
        raise ValueError(f"{v} is not a whole number")
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            f = _float(s)  # '1e3'
            if f.is_integer():
                return int(f)
            raise ValueError(f"{s} is not a whole number") from None
    raise ValueError("")


def _float(v: Any) -> float:
    try:
        return float(v.strip() if isinstance(v, str) else v)
    except (TypeError, ValueError):
        raise ValueError("") from None


def device_problem(device: str) -> str | None:
    """Why `device` cannot be used on this machine (a CUDA device that is not there), or None. Only a CUDA
    request imports torch; without torch installed (an artifact-only deployment) the runtime decides."""
    items = [x.strip().lower() for x in str(device).split(",") if x.strip()]
    cuda = [x.removeprefix("cuda").lstrip(":") or "0" for x in items if x.startswith("cuda") or x.isdigit()]
    if not cuda:
        return None
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n == 0:
        return (f"device={device} asks for a CUDA GPU, but none is visible here (torch.cuda.is_available() is "
                f"False); use device=cpu")
    bad = [i for i in cuda if not i.isdigit() or int(i) >= n]
    if bad:
        return f"device={device}: there is no CUDA device {bad[0]} here ({n} visible: 0..{n - 1})"
    return None


def parse_interval(text: str) -> tuple[float, float, bool, bool]:
    """'[1, inf)' -> (1, inf, True, False): bounds and whether each is included."""
    t = str(text).strip()
    lo_s, hi_s = (s.strip() for s in t[1:-1].split(","))
    return float(lo_s), float(hi_s), t[0] == "[", t[-1] == "]"


def _check_range(key: str, v: Any, spec: dict[str, Any]) -> None:
    if "range" not in spec:
        return
    lo, hi, lo_in, hi_in = parse_interval(spec["range"])
    for x in v if isinstance(v, list) else [v]:
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            continue
        if (x < lo or (x == lo and not lo_in)) or (x > hi or (x == hi and not hi_in)):
            raise ConfigError(f"{key}={x} is out of range: {key} must be {_range_words(spec['range'])}")


def _range_words(text: str) -> str:
    lo, hi, lo_in, hi_in = parse_interval(text)
    fmt = lambda x: f"{x:g}"  # noqa: E731
    if math.isinf(hi):
        return f"{'>=' if lo_in else '>'} {fmt(lo)}"
    if math.isinf(lo):
        return f"{'<=' if hi_in else '<'} {fmt(hi)}"
    return f"in {text.strip()}"


def _check_choices(key: str, v: Any, spec: dict[str, Any]) -> None:
    choices = spec.get("choices")
    if not choices or not isinstance(v, str):
        return
    if v.lower() not in {str(c).lower() for c in choices}:
        close = difflib.get_close_matches(v, [str(c) for c in choices], n=1)
        raise ConfigError(f"{key}='{v}' is not valid: use one of {', '.join(map(str, choices))}"
                          + (f" (did you mean '{close[0]}'?)" if close else ""))


def _describe(spec: dict[str, Any]) -> str:
    types = spec.get("type", "any")
    words = " or ".join(_TYPE_WORDS.get(t, t) for t in (types if isinstance(types, list) else [types]))
    if "range" in spec:
        words += f" {_range_words(spec['range'])}"
    if spec.get("choices"):
        words += f" (one of {', '.join(map(str, spec['choices']))})"
    return words
