"""Command line: `yolocls [classify] MODE key=value ...` (Ultralytics style, `task=`/`mode=` too) or `--key value`
flags; thin by design.

Every argument, its default, type and help live in `cfg/default.yaml` (checked by `yolocls.cfg.check_args`; the
bench's defaults: in its runner). Any error ends as one `error: ...` line on stderr (exit 2 for yolocls' own
errors, 1 for anything else); `--debug` (or YOLOCLS_DEBUG=1) shows the traceback as well.
"""

from __future__ import annotations

import difflib
import os
import sys
import traceback
from typing import Any

import yaml

from .cfg import check_args, load_defaults
from .errors import ConfigError, YoloclsError

MODES = {
    "train": "train a model: yolocls train data=digits model=yolov8n-cls.yaml epochs=10 imgsz=32",
    "val": "validate a model: yolocls val model=best.pt data=digits",
    "predict": "predict: yolocls predict model=best.pt source=images/",
    "export": "export: yolocls export model=best.pt format=onnx (format=all for every format)",
    "bench": "benchmark formats: yolocls bench model=best.pt format=all (alias: benchmark)",
    "diff": "where an export differs: yolocls diff model=best.pt artifact=best.onnx (block by block)",
    "info": "model summary: yolocls info model=yolov8s-cls.yaml imgsz=224",
    "import": "import an Ultralytics checkpoint: yolocls import ultralytics SRC.pt --out OURS.pt",
    "settings": "show or change the user settings: yolocls settings datasets_dir=~/datasets tensorboard=True",
    "checks": "versions of every backend, and which formats export and run here (and why not)",
}
DEBUG_ENV = "YOLOCLS_DEBUG"
MODE_ALIASES = {"benchmark": "bench"}
TASKS = ("classify",)


def parse_value(v: str) -> Any:
    """'true'/'false'/'none'/numbers/lists as YAML scalars; anything else stays a string."""
    if v.lower() in ("none", "null"):
        return None
    try:
        out = yaml.safe_load(v)
    except yaml.YAMLError:
        return v
    return out if isinstance(out, (bool, int, float, list)) else v


def parse_args(argv: list[str], mode: str, defaults: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """Parse `key=value`, `--key value`, `--key=value` and bare `--flag` into a dict; also return positionals."""
    out: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            key, eq, val = a[2:].partition("=")
            if not eq:
                nxt = argv[i + 1] if i + 1 < len(argv) else None
                if nxt is not None and not nxt.startswith("--") and "=" not in nxt:
                    val, i = nxt, i + 1
                else:
                    val = "true"
        elif "=" in a:
            key, _, val = a.partition("=")
        else:
            positional.append(a)
            i += 1
            continue
        key = key.replace("-", "_")
        if key not in defaults:
            close = difflib.get_close_matches(key, list(defaults), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"unknown argument '{key}' for 'yolocls {mode}'.{hint} See 'yolocls {mode} --help'")
        out[key] = parse_value(val)
        i += 1
    return out, positional


def _pop_key(tokens: list[str], key: str) -> str | None:
    """Remove `key=V`, `--key=V` or `--key V` from `tokens`; return V (None when absent)."""
    for i, t in enumerate(tokens):
        for prefix in (f"{key}=", f"--{key}="):
            if t.startswith(prefix):
                del tokens[i]
                return t[len(prefix):]
        if t == f"--{key}" and i + 1 < len(tokens):
            value = tokens[i + 1]
            del tokens[i:i + 2]
            return value
    return None


def _check_task(task: str) -> None:
    if task not in TASKS:
        from .engine.model import OTHER_TASKS, classification_only

        if task in OTHER_TASKS:
            raise classification_only(task)
        raise ConfigError(f"unknown task '{task}': yolocls has one task, classify (yolocls classify train ...)")


def split_mode(argv: list[str]) -> tuple[str | None, list[str]]:
    """(mode, the remaining arguments) from Ultralytics' forms: `classify train ...`, `train ...`,
    `task=classify mode=train ...`; aliases resolved (benchmark -> bench). Another task word (detect,
    segment...) raises the "classification only" error."""
    tokens = list(argv)
    from .engine.model import OTHER_TASKS

    if tokens and (tokens[0] in TASKS or tokens[0] in OTHER_TASKS):
        _check_task(tokens.pop(0))
    task = _pop_key(tokens, "task")
    if task is not None:
        _check_task(task)
    mode = _pop_key(tokens, "mode")
    if tokens and not tokens[0].startswith("-") and "=" not in tokens[0]:
        word = tokens.pop(0)
        if mode is not None and MODE_ALIASES.get(word, word) != MODE_ALIASES.get(mode, mode):
            raise ConfigError(f"two modes given: '{word}' and mode={mode}; give one")
        mode = word
    if mode is not None:
        if mode in OTHER_TASKS:
            raise ConfigError(f"'{mode}' is a task, not a mode; and yolocls is classification only "
                              f"(yolocls classify train ...)")
        mode = MODE_ALIASES.get(mode, mode)
    return mode, tokens


def mode_arguments(mode: str, defaults: dict[str, dict[str, Any]]) -> list[tuple[str, Any, str]]:
    """(key, default, help) of every argument `mode` takes, in `cfg/default.yaml` order: the table behind
    `yolocls MODE --help` and the docs' CLI reference. The bench's defaults come from its signature and the
    settings' from their table, so neither can drift from what runs."""
    if mode == "settings":
        from .settings import SETTINGS

        return [(k, s.default_label(), s.help) for k, s in SETTINGS.items()]
    real: dict[str, Any] = {}
    if mode == "bench":
        from .bench.runner import cli_defaults

        real = cli_defaults()
    return [(k, real.get(k, spec.get("default")), spec.get("help", "")) for k, spec in defaults.items()
            if mode in spec.get("modes", [])]


def help_text(mode: str | None, defaults: dict[str, dict[str, Any]]) -> str:
    if mode is None:
        lines = ["usage: yolocls [classify] MODE [key=value | --key value ...]", "", "modes:"]
        lines += [f"  {m:<8} {d}" for m, d in MODES.items()]
        lines += ["", "'yolocls MODE --help' lists that mode's arguments with their defaults.",
                  "--debug (or YOLOCLS_DEBUG=1) shows the traceback of an error.",
                  "Ultralytics' forms work too: 'yolocls classify train ...', 'yolocls task=classify mode=train ...'.",
                  "Also: yolocls-export (= yolocls export), yolocls-bench (= yolocls bench)."]
        return "\n".join(lines)
    lines = [f"usage: yolocls {mode} [key=value | --key value ...]", f"  {MODES[mode]}", "", "arguments:"]
    for k, default, text in mode_arguments(mode, defaults):
        lines.append(f"  {k + '=' + str(default):<31}  {text}")  # two spaces at least: defaults may hold one
    if mode == "settings":
        lines += ["  reset                            go back to the defaults (removes the settings file)", "",
                  "'yolocls settings' prints the values in force and where each comes from."]
    if mode == "export":
        from .engine.export_many import formats_help

        lines.append(formats_help())
    return "\n".join(lines)


def run_mode(mode: str, args: dict[str, Any], positional: list[str]) -> int:
    """Dispatch to the engine/bench; returns the exit code."""
    if mode == "checks":
        from .bench.checks import checks_cli

        return checks_cli(args)
    if mode == "info":
        from .engine.model import YOLO

        YOLO(args.pop("model", "yolov8n-cls.yaml")).info(imgsz=args.get("imgsz") or 224,
                                                           verbose=bool(args.get("detailed")))
        return 0
    if mode == "import":
        from .models.ultralytics import import_cli  # lands with the Ultralytics importer

        return import_cli(positional, args)
    if mode == "bench":
        from .bench.runner import bench_cli

        return bench_cli(args)
    if mode == "export":
        from .engine.export_many import export_cli

        return export_cli(args)
    if mode == "diff":
        from .diagnose.diff import diff_cli

        return diff_cli(args)
    from .engine.model import YOLO

    model = YOLO(args.pop("model", "yolov8n-cls.yaml"))
    if mode == "train":
        model.train(**args)
    elif mode == "val":
        model.val(**args)
    elif mode == "predict":
        args.pop("stream", None)  # the CLI always streams
        for _ in model.predict(stream=True, **args):
            pass
    return 0


def pop_debug(argv: list[str]) -> bool:
    """Remove `--debug` / `debug=true` from `argv`; True when given there or YOLOCLS_DEBUG is set (not 0/false)."""
    flags = [a for a in argv if a in ("--debug", "debug=True", "debug=true", "--debug=true", "--debug=True")]
    for a in flags:
        argv.remove(a)
    env = os.environ.get(DEBUG_ENV, "").strip().lower()
    return bool(flags) or env not in ("", "0", "false", "no")


def error_line(e: BaseException) -> str:
    """One line for the user: yolocls' own message as written, anything else as `Type: first line` and how to
    see the traceback."""
    if isinstance(e, YoloclsError):
        return f"error: {e}"
    first = (str(e).strip().splitlines() or [""])[0][:300]
    return (f"error: {type(e).__name__}{': ' + first if first else ''} (unexpected; run again with --debug or "
            f"{DEBUG_ENV}=1 for the traceback)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = pop_debug(argv)
    if debug:
        os.environ[DEBUG_ENV] = "1"  # children (the bench's) report their tracebacks too
    defaults = load_defaults()
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(help_text(None, defaults))
        return 0
    if argv[0] in ("-V", "--version", "version"):
        from ._version import __version__

        print(__version__)
        return 0
    try:
        mode, rest = split_mode(argv)
    except YoloclsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if mode is None:
        if any(a in ("-h", "--help") for a in rest):
            print(help_text(None, defaults))
            return 0
        print(f"error: no mode given; name one: yolocls [classify] MODE key=value ... Modes: {', '.join(MODES)}",
              file=sys.stderr)
        return 2
    if mode not in MODES:
        close = difflib.get_close_matches(mode, [*MODES, *MODE_ALIASES], n=1)
        print(f"error: unknown mode '{mode}'." + (f" Did you mean '{close[0]}'?" if close else "")
              + f" Modes: {', '.join(MODES)}", file=sys.stderr)
        return 2
    if any(a in ("-h", "--help") for a in rest):
        print(help_text(mode, defaults))
        return 0
    try:
        if mode == "settings":
            from .settings import SETTINGS, settings_cli

            args, positional = parse_args(rest, mode, {k: {} for k in SETTINGS})
            return settings_cli(args, positional)
        args, positional = parse_args(rest, mode, defaults)
        return run_mode(mode, check_args(mode, args), positional)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `yolocls predict ... | head`: the reader left; nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 1
    except Exception as e:  # noqa: BLE001 - the one place every error becomes one line
        if debug:
            traceback.print_exc()
        print(error_line(e), file=sys.stderr)
        return 2 if isinstance(e, YoloclsError) else 1


def export_main(argv: list[str] | None = None) -> int:
    """`yolocls-export --model best.pt --format onnx,openvino|all ...`"""
    return main(["export", *(sys.argv[1:] if argv is None else argv)])


def bench_main(argv: list[str] | None = None) -> int:
    """`yolocls-bench --device cpu ...`"""
    return main(["bench", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
