"""Callbacks under Ultralytics' event names: `model.add_callback("on_train_epoch_end", fn)`.

Each event calls its functions in the order they were added, with the object doing the work: the Trainer for
training events (`trainer.epoch`, `.epochs`, `.tloss`, `.metrics`, `.lr`, `.save_dir`, `.best`, `.last`,
`.args`, `.model`), a validator state for val events (`.metrics`, `.save_dir`, `.batch_i`, `.args`), a
predictor state for predict events (`.results`, `.batch`, `.save_dir`, `.args`) and an exporter state for
export events (`.format`, `.file`, `.args`). Events fire in Ultralytics' order: per epoch
`on_train_epoch_start`, per batch `on_train_batch_start`/`on_train_batch_end`, then `on_train_epoch_end`,
the validation (`on_val_*`), `on_model_save`, `on_fit_epoch_end`; `on_train_end` and `teardown` at the end.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError

EVENTS: tuple[str, ...] = (
    # training
    "on_pretrain_routine_start", "on_pretrain_routine_end", "on_train_start", "on_train_epoch_start",
    "on_train_batch_start", "optimizer_step", "on_before_zero_grad", "on_train_batch_end", "on_train_epoch_end",
    "on_fit_epoch_end", "on_model_save", "on_train_end", "on_params_update", "teardown",
    # validation
    "on_val_start", "on_val_batch_start", "on_val_batch_end", "on_val_end",
    # prediction
    "on_predict_start", "on_predict_batch_start", "on_predict_postprocess_end", "on_predict_batch_end",
    "on_predict_end",
    # export
    "on_export_start", "on_export_end",
)

Callbacks = dict[str, list[Callable[[Any], Any]]]


def default_callbacks() -> Callbacks:
    """A fresh table with an empty list per event."""
    return {e: [] for e in EVENTS}


def check_event(event: str) -> str:
    if event not in EVENTS:
        close = difflib.get_close_matches(event, EVENTS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"unknown callback event '{event}'.{hint} Events: {', '.join(EVENTS)}")
    return event


def add_callback(callbacks: Callbacks, event: str, fn: Callable[[Any], Any]) -> None:
    if not callable(fn):
        raise ConfigError(f"add_callback('{event}', ...) needs a function; got {type(fn).__name__}")
    callbacks.setdefault(check_event(event), []).append(fn)


def merged(*tables: Callbacks | None) -> Callbacks:
    """One table holding every table's functions, event by event, in the order given (the originals untouched)."""
    out = default_callbacks()
    for t in tables:
        for event, fns in (t or {}).items():
            out.setdefault(event, []).extend(fns)
    return out


def run_callbacks(callbacks: Callbacks | None, event: str, owner: Any) -> None:
    """Call every function registered for `event` with `owner`."""
    if callbacks:
        for fn in callbacks.get(event, ()):
            fn(owner)
