"""The public `YOLO` (`from yolocls import YOLO`): the engine's facade plus `benchmark()`.

The facade itself lives in `engine/`, which the bench builds on and therefore may not import (ARCHITECTURE.md).
`benchmark()` is the one method that needs the bench, so it is added here, one layer above both, the way `cli.py`
calls engine/ and bench/: the import arrows stay `api -> bench -> engine` and `api -> engine`, with no cycle.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine.model import YOLO as _EngineYOLO

if TYPE_CHECKING:
    from .bench.rows import BenchReport

__all__ = ["YOLO"]


class YOLO(_EngineYOLO):
    """A classification model: build, load, train, validate, predict, export and benchmark.

    Everything but `benchmark()` is the engine's facade (`yolocls.engine.model.YOLO`, documented there).
    """

    def benchmark(self, format: str = "all", **kwargs: Any) -> BenchReport:
        """The bench on this model, as `yolocls-bench --model ...` runs it: export to `format` (one name, a comma
        list, or `all`; Ultralytics' `format=""` also means all), load every artifact back, validate, check parity
        with this model and time each row.

        Keyword arguments are the bench's (`data`, `imgsz`, `half`, `int8`, `batch`, `runs`, `warmup`, `threads`,
        `out`, `check`, `keep_artifacts`, `baseline`, ...; see `yolocls.bench.runner.benchmark`); `device` defaults
        to this model's. Returns the `BenchReport` (`.rows`, `.to_df()`, `.gate`, `.files`, `.exit_code`).

        A model built from a YAML (not yet saved) is benchmarked through a temporary copy of its weights; a model
        loaded from an exported artifact has no PyTorch reference to compare with, so it is refused in one line.
        """
        from .bench.runner import benchmark

        self._require_torch_model("benchmark()")
        kwargs.setdefault("device", str(self.device))
        formats = format or "all"
        if self.ckpt_path is not None:
            return benchmark(model=self.ckpt_path, formats=formats, **kwargs)
        with tempfile.TemporaryDirectory(prefix="yolocls-benchmark-") as d:
            stem = Path(self.source).stem if self.source.endswith((".yaml", ".yml")) else "model"
            return benchmark(model=self.save(Path(d) / f"{stem}.pt"), formats=formats, **kwargs)
