"""The generated parts of the docs stay true to their sources: the README's demo table is the bench's JSON, the
CLI reference is the table `yolocls MODE --help` prints, the format table is the exporter registry."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .blocks import ROOT, doc_files

sys.path.insert(0, str(ROOT / "scripts"))
import docs_snippets  # noqa: E402


def test_readme_snippets_match_the_benchmark_results() -> None:
    text = (ROOT / "README.md").read_text()
    assert "<!-- snippet: demo-bench -->" in text
    assert docs_snippets.refresh_blocks(text) == text, \
        "README.md is stale against benchmarks/results/: run python scripts/docs_snippets.py readme"


def test_every_placeholder_names_a_snippet_that_renders() -> None:
    for path in doc_files():
        for name in docs_snippets.PLACEHOLDER.findall(path.read_text()):
            assert docs_snippets.render(name), f"{path.name}: snippet '{name}' rendered nothing"


def test_every_figure_file_records_its_date_command_and_machine() -> None:
    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        doc = docs_snippets.json.loads(path.read_text())
        if "environment" in doc:  # the bench's own report
            assert doc["created"] and doc["environment"]["cpu"] and doc["environment"]["cores"], path.name
        else:
            assert doc["date"] and doc["command"] and doc["machine"]["cpu"] and doc["machine"]["cores"], path.name


def _help(*args: str) -> str:
    env = {"PYTHONPATH": str(ROOT), "PATH": ""}
    return subprocess.run([sys.executable, "-m", "yolocls", *args], capture_output=True, text=True, env=env,
                          check=True).stdout


def test_cli_reference_lists_every_mode_and_argument_that_help_prints() -> None:
    from yolocls import cli

    page = docs_snippets.render("cli-reference")
    top = _help("--help")
    for mode in cli.MODES:
        assert f"  {mode} " in top
        assert f"## yolocls {mode}" in page, f"the CLI reference lacks mode '{mode}'"
        section = page.split(f"## yolocls {mode}", 1)[1].split("\n## ", 1)[0]
        for line in _help(mode, "--help").split("arguments:", 1)[1].splitlines():
            m = re.match(r"  (\w+)=(.+?)(?: {2,}|$)", line)  # a default may hold single spaces
            if m:
                key, default = m.groups()
                assert f"| `{key}` | `{default}` |" in section, f"yolocls {mode}: `{key}={default}` is not on the page"


def test_format_table_lists_every_registered_format() -> None:
    from yolocls.exporters import exporter_names
    from yolocls.formats import load_plugins

    load_plugins()
    table = docs_snippets.render("formats-table")
    missing = [f for f in exporter_names() if f"| `{f}` |" not in table]
    assert not missing, f"formats missing from the format table: {missing}"


@pytest.mark.parametrize("name", ["demo-bench", "model-table", "train-digits", "other-formats", "train-accuracy",
                                  "train-accuracy-ab"])
def test_figure_snippets_quote_their_source_file(name: str) -> None:
    assert "benchmarks/results/" in docs_snippets.render(name)
