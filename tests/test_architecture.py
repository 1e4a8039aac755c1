"""The architecture holds: no import cycles, imports only go down the floors, the CLI uses only the
public API, modules stay small.

Every module under ``spikeagents/`` is read with ``ast``; every import counts, wherever it stands
(top level, inside a function, under ``if TYPE_CHECKING``). ``from a.b import c`` counts as an
import of the module ``a.b.c`` when that is a module, else of ``a.b``.

The floors (CONTRIBUTING.md): an import may only go to the same floor or a lower one.

1. ``snn/`` (imports nothing else of the package) and the leaves ``schema``, ``paths``,
   ``rundir`` (import nothing of the package at all)
2. ``datasets/`` (only floor 1), ``envs``, ``viz``
3. ``rl/``, ``classify/``, ``convert/``, ``tempotron``
4. ``api``
5. ``cli/`` (only ``api`` and itself), ``__main__``
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "spikeagents"
MAX_LINES = 450
#: modules allowed over MAX_LINES, each with the reason (CONTRIBUTING.md repeats it)
LONG_MODULES: dict[str, str] = {}

FLOORS = {
    "snn": 1,
    "schema": 1,
    "config": 1,  # only re-exports schema.Schedule for models saved before the redesign
    "paths": 1,
    "rundir": 1,
    "datasets": 2,
    "envs": 2,
    "viz": 2,
    "rl": 3,
    "classify": 3,
    "convert": 3,
    "tempotron": 3,
    "api": 4,
    "cli": 5,
    "__main__": 5,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_module(name: str) -> bool:
    return name in MODULES


def imports_of(name: str) -> set[str]:
    """The package modules ``name`` imports (anywhere in the file)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("spikeagents"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("spikeagents"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if _is_module(sub) else base)
    found.discard(name)
    return {m for m in found if _is_module(m)}


GRAPH = {name: imports_of(name) for name in MODULES}


def floor_of(name: str) -> int:
    parts = name.split(".")
    if len(parts) == 1:
        return 2  # the package root: registers the environments (checked below)
    return FLOORS[parts[1]]


def test_every_module_has_a_floor() -> None:
    missing = sorted({n.split(".")[1] for n in MODULES if "." in n} - set(FLOORS))
    assert not missing, f"give these a floor in FLOORS and CONTRIBUTING.md: {missing}"


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components: every component must be a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_imports_only_go_down_the_floors() -> None:
    upward = [
        f"{name} (floor {floor_of(name)}) imports {dep} (floor {floor_of(dep)})"
        for name, deps in GRAPH.items()
        for dep in sorted(deps)
        if floor_of(dep) > floor_of(name)
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize(
    "area,allowed",
    [
        ("snn", ("spikeagents.snn",)),
        ("schema", ()),
        ("paths", ()),
        ("rundir", ()),
        ("config", ("spikeagents.schema",)),
        ("datasets", ("spikeagents.datasets", "spikeagents.snn", "spikeagents.schema",
                      "spikeagents.paths", "spikeagents.rundir")),
        ("cli", ("spikeagents.cli", "spikeagents.api")),
    ],
)  # fmt: skip
def test_floor_rules(area: str, allowed: tuple[str, ...]) -> None:
    bad = [
        f"{name} imports {dep}"
        for name, deps in GRAPH.items()
        if name.split(".")[1:2] == [area]
        for dep in sorted(deps)
        if not any(dep == a or dep.startswith(a + ".") for a in allowed)
    ]
    assert not bad, "\n".join(bad)


def test_the_package_root_imports_only_the_env_registration() -> None:
    assert GRAPH["spikeagents"] <= {"spikeagents.envs"}


def test_no_private_names_across_modules() -> None:
    """``from spikeagents.x import _private`` (a helper used by another module) is not allowed:
    what modules share is public."""
    bad = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spikeagents"):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    if alias.name.startswith("_") and not _is_module(target):
                        bad.append(f"{name}: from {node.module} import {alias.name}")
    assert not bad, "\n".join(bad)


def test_modules_stay_small() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and name not in LONG_MODULES
    }
    assert not long, f"split these by job (or say why in LONG_MODULES): {long}"


def test_the_checker_sees_function_level_imports() -> None:
    """A guard on the guard: an import inside a function is an import."""
    assert "spikeagents.api" in GRAPH["spikeagents.cli.rl"]
    tree = ast.parse("def f():\n    from spikeagents.rl import policies\n")
    found = {
        f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
        for a in n.names
    }  # fmt: skip
    assert found == {"spikeagents.rl.policies"}
