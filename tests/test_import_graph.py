"""The import graph of agents/, dolt/, workers/ and bot/: no circles, and the layers hold.

Every ``import`` and ``from … import`` statement counts, including those inside functions (a lazy
import that dodges a circle is still a circle); ``from pkg import name`` is an edge to the module
``pkg.name`` when there is such a file, else to ``pkg``. Only modules of these packages are nodes.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "dolt", "workers", "bot")

MAY_IMPORT: dict[str, tuple[str, ...]] = {
    # what each part may import besides itself (README's architecture table); the longest
    # prefix that names a module decides
    "dolt": ("dolt",),
    "agents.errors": (),
    "agents.sources": ("agents.errors",),
    "agents.staging": ("agents.errors", "agents.artifacts"),
    "agents.llm": ("agents.errors",),
    "agents.artifacts": ("agents.sources", "dolt"),
    "agents.inspection": ("agents.errors", "agents.artifacts", "agents.staging", "dolt"),
    "agents.baseline": ("agents.errors", "agents.artifacts", "agents.inspection", "dolt"),
    "agents.execution": ("agents.errors", "agents.artifacts", "agents.staging", "dolt"),
    "agents.stages": (
        "agents.errors",
        "agents.artifacts",
        "agents.baseline",
        "agents.execution",
        "dolt",
    ),
    "agents.pipeline": ("agents", "dolt"),
    "agents.review_words": ("agents.artifacts", "agents.execution.target_columns"),
    "agents.merge_impact": ("agents.artifacts",),
    "workers": ("agents", "dolt"),
    "bot.slack": (
        "workers",
        "agents.artifacts",
        "agents.errors",
        "agents.review_words",
        "agents.merge_impact",
    ),
    "bot.terminal": (
        "workers",
        "agents.artifacts",
        "agents.errors",
        "agents.review_words",
        "dolt.models",
    ),
    "bot.entrypoints": ("bot", "workers", "agents", "dolt"),
}

KNOWN_CYCLES: set[frozenset[str]] = set()
"""Circles (all modules of one) that exist today and are to be removed; add nothing here."""


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(_known(alias.name, modules) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else _known(base, modules))
    return {target for target in targets if target is not None and target != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[tuple[frozenset[str], list[str]]]:
    """Each strongly connected component of more than one module, with one circle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is small enough to recurse
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [(frozenset(component), _circle(graph, component)) for component in components]


def _circle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"{sorted(component)} is not strongly connected")


def test_imports_inside_functions_and_relative_ones_are_edges(tmp_path):
    module = tmp_path / "c.py"
    module.write_text(
        "import duckdb\n"
        "from . import b\n"
        "from .. import z\n"
        "from pkg import sub\n"
        "def lazy():\n"
        "    from pkg.sub.b import name\n"
        "    import pkg.y.deep\n"
    )
    modules = {name: tmp_path for name in ("pkg", "pkg.sub", "pkg.sub.b", "pkg.y", "pkg.z")}
    modules["pkg.sub.c"] = module
    assert _imports("pkg.sub.c", module, modules) == {"pkg.sub", "pkg.sub.b", "pkg.y", "pkg.z"}


def test_the_graph_holds_every_package():
    modules = _modules()
    assert {"agents.staging.stage", "dolt", "bot.entrypoints.cli", "workers.tasks"} <= set(modules)
    graph = _graph()
    assert "agents.errors" in graph["agents.staging.relations"]
    assert graph["agents.staging.stage"] >= {
        "agents.staging.delimited",
        "agents.staging.json_records",
        "agents.staging.parquet",
        "agents.staging.xlsx",
    }


def test_no_module_imports_itself_through_others():
    cycles = _cycles(_graph())
    new = [
        f"{' -> '.join(circle)} (all of: {', '.join(sorted(component))})"
        for component, circle in cycles
        if component not in KNOWN_CYCLES
    ]
    assert not new, "import circles:\n" + "\n".join(new)
    gone = KNOWN_CYCLES - {component for component, _ in cycles}
    assert not gone, f"remove from KNOWN_CYCLES, they are fixed: {sorted(map(sorted, gone))}"


def _rule(name: str) -> str:
    return max((prefix for prefix in MAY_IMPORT if _within(name, prefix)), key=len)


def test_every_module_falls_under_a_rule():
    assert all(_rule(name) for name in _modules() if name not in ("agents", "bot"))


def test_packages_import_only_the_layers_below_them():
    wrong = [
        f"{name} imports {target}"
        for name, targets in sorted(_graph().items())
        if name not in ("agents", "bot")
        for target in sorted(targets)
        if not _within(target, _rule(name))
        and not any(_within(target, allowed) for allowed in MAY_IMPORT[_rule(name)])
    ]
    assert not wrong, "\n".join(wrong)
