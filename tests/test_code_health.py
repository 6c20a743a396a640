"""Structure the package keeps: no import cycles, no format named outside its plugins, one list of export
options. These read the source (ast), so they fail on the line that breaks the rule."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import yaml

import yolocls

PACKAGE = Path(yolocls.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = f
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under `if TYPE_CHECKING:` (never run, so not imports)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported yolocls module: line}, from every import statement, at module or function level.

    `from pkg import name` points at pkg.name when that is a module, else at pkg itself; importing a submodule
    is not counted as importing its parent package's code (Python runs the parent's __init__ first, but that
    is the package's business, not an import the code chose).
    """
    mods = _modules()
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        skip = _type_checking_only(tree)
        here = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    src = ".".join(base + ([node.module] if node.module else []))
                else:
                    src = node.module or ""
                targets = [f"{src}.{a.name}" if f"{src}.{a.name}" in mods else src for a in node.names]
            else:
                continue
            for t in targets:
                if t in mods and t != mod:
                    graph[mod].setdefault(t, node.lineno)
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One import cycle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_import_graph_sees_module_and_function_level_imports():
    g = import_graph()
    assert "yolocls.exporters._onnx_file" in g["yolocls.exporters._context"]  # inside ExportContext.onnx_file
    assert "yolocls.runtimes.onnx" in g["yolocls.exporters._onnx_file"]  # module level
    assert "yolocls.api" in g["yolocls"] and "yolocls.bench.runner" in g["yolocls.api"]  # lazy, in functions
    assert find_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]


def test_no_import_cycles_in_the_package():
    g = import_graph()
    cycle = find_cycle(g)
    assert cycle is None, "import cycle: " + " -> ".join(
        f"{a} (line {g[a][b]})" for a, b in zip(cycle, cycle[1:], strict=False)) + f" -> {cycle[-1]}"


def _string_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    return [(n.lineno, n.value) for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_engine_bench_and_cli_never_name_a_format():
    """A format's name in engine/, bench/ or cli.py is a rule that belongs to the format's plugin (STYLE.md)."""
    from yolocls.exporters import exporter_names
    from yolocls.runtimes import runtime_names

    names = set(exporter_names()) | set(runtime_names())
    assert {"onnx", "tflite", "pt"} <= names
    files = [*sorted((PACKAGE / "engine").rglob("*.py")), *sorted((PACKAGE / "bench").rglob("*.py")),
             PACKAGE / "cli.py"]
    found = [f"{f.relative_to(PACKAGE.parent)}:{line}: {s!r}" for f in files for line, s in _string_literals(f)
             if s.strip().lower() in names]
    assert not found, "format names as string literals:\n" + "\n".join(found)


def test_default_yaml_export_keys_are_the_export_options():
    """cfg/default.yaml documents exactly the options ExportOptions takes (the CLI accepts what it lists)."""
    from yolocls.engine.export_many import NOT_EXPORT_OPTIONS
    from yolocls.exporters import OPTIONS, ExportOptions
    from yolocls.formats import DEFAULT_EXPORT

    spec = yaml.safe_load((PACKAGE / "cfg" / "default.yaml").read_text())
    keys = {k for k, v in spec.items() if "export" in v.get("modes", [])} - set(NOT_EXPORT_OPTIONS)
    assert keys == set(OPTIONS), (f"in default.yaml only: {sorted(keys - OPTIONS)}; "
                                  f"in ExportOptions only: {sorted(OPTIONS - keys)}")
    defaults = ExportOptions()
    for f in fields(ExportOptions):
        documented = spec[f.name].get("default")
        assert documented is None or documented == getattr(defaults, f.name), (f.name, documented)
    assert spec["format"]["default"] == DEFAULT_EXPORT
