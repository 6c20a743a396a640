"""The block comparison's arithmetic and the keep_float option's parsing (no artifacts needed)."""

from __future__ import annotations

import numpy as np
import pytest

from yolocls.diagnose.compare import compare_blocks, divergence_note, first_divergent, tensor_error
from yolocls.errors import ConfigError
from yolocls.exporters import ExportOptions


def test_tensor_error_is_relative_over_the_whole_tensor():
    rng = np.random.default_rng(0)
    r = rng.normal(size=(4, 8, 5, 5)).astype(np.float32)
    assert tensor_error(r, r) == (0.0, 0.0, pytest.approx(1.0))
    max_abs, rel, cos = tensor_error(100 * r, 100 * r * 1.01)  # 1% everywhere, whatever the scale
    assert rel == pytest.approx(0.01, rel=1e-4) and max_abs > 1 and cos == pytest.approx(1.0)
    _, _, cos = tensor_error(r, -r)
    assert cos == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="shape"):
        tensor_error(r, r[:, :4])


def test_first_divergent_is_the_first_block_over_tolerance_in_network_order():
    entries = [{"index": i, "name": f"model.{i}", "type": "Conv", "depth": 1, "shape": [1, 4]} for i in range(4)]
    ref = {e["name"]: np.ones((2, 4), np.float32) for e in entries}
    got = {"model.0": ref["model.0"], "model.2": ref["model.2"] * 1.5, "model.3": ref["model.3"] * 2}
    rows = compare_blocks(entries, ref, got, tol=1e-4, reasons={"model.1": "folded away"})
    assert [r.exposed for r in rows] == [True, False, True, True] and rows[1].note == "folded away"
    first = first_divergent(rows)
    assert (first.index, first.name) == (2, "model.2") and first.rel == pytest.approx(0.5)
    assert divergence_note(rows).startswith("first diverging block: 2 model.2 (Conv)")
    assert first_divergent(compare_blocks(entries, ref, ref, tol=1e-4)) is None


@pytest.mark.parametrize(("given", "parsed"), [(None, None), ("", None), ("auto", "auto"), ("AUTO", "auto"),
                                               ("6,4", [4, 6]), (4, [4]), ([6, 4, 4], [4, 6])])
def test_keep_float_values(given, parsed):
    assert ExportOptions.from_kwargs(int8=True, keep_float=given).keep_float == parsed


def test_keep_float_needs_int8_and_block_indices():
    with pytest.raises(ConfigError, match="int8=True"):
        ExportOptions.from_kwargs(keep_float="4")
    with pytest.raises(ConfigError, match="block indices"):
        ExportOptions.from_kwargs(int8=True, keep_float="model.4")
    with pytest.raises(ConfigError, match=">= 0"):
        ExportOptions.from_kwargs(int8=True, keep_float="-1")
    with pytest.raises(ConfigError, match="max_top1_drop"):
        ExportOptions.from_kwargs(int8=True, max_top1_drop=-1)
