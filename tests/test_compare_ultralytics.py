"""benchmarks/compare_ultralytics.py: row selection, and one clear line (exit 0) where Ultralytics is absent."""

from __future__ import annotations

import importlib.util

import pytest

from benchmarks import compare_ultralytics as cmp


def test_rows_are_selectable_and_an_unknown_row_is_named():
    assert cmp.parse_rows("predict,train") == ["predict-jpg", "predict-png", "train"]
    assert cmp.parse_rows("ort, export,ort") == ["ort", "export"]
    with pytest.raises(SystemExit, match="unknown row 'predcit'"):
        cmp.parse_rows("predcit")


@pytest.mark.skipif(importlib.util.find_spec("ultralytics") is not None, reason="ultralytics is importable here")
def test_without_ultralytics_the_rows_that_need_it_are_skipped_with_one_line(tmp_path, capsys):
    missing = tmp_path / "no-venv" / "bin" / "python"
    assert cmp.main(["--ul-python", str(missing), "--rows", "export,ort", "--json", ""]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"skipped export, ort: ultralytics is not importable here nor in {missing}"]


def test_the_table_reports_medians_and_ratios():
    t = cmp.Table()
    for u, y in ((40.0, 100.0), (38.0, 104.0), (39.0, 102.0)):
        t.add("predict jpg .pt (img/s)", "ultralytics", u, higher=True)
        t.add("predict jpg .pt (img/s)", "yolocls", y, higher=True)
    (row,) = t.summary()
    assert (row["median_a"], row["median_b"]) == (39.0, 102.0)
    assert row["ratio_b_over_a"] == pytest.approx(102.0 / 39.0)
