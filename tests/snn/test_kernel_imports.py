"""The kernel package imports without a cycle, and CuPy stays optional.

The registry (``kernels/__init__.py``) imports the backend modules; a backend module must not
import the registry back, at the top or inside a function. Read from the source with ``ast``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import spikeagents.snn.kernels as kernels

PACKAGE = kernels.__name__
MODULES = {
    PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}": path
    for path in Path(kernels.__file__).parent.glob("*.py")
}


def _imported(module: str, path: Path) -> set[str]:
    """The modules of the package that ``module`` imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package of `module`
                package = module if path.stem == "__init__" else module.rpartition(".")[0]
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return found & MODULES.keys()


def test_kernel_modules_import_each_other_without_a_cycle() -> None:
    graph = {module: _imported(module, path) for module, path in MODULES.items()}
    for module, imported in sorted(graph.items()):  # the registry may load them by name too
        assert module == PACKAGE or PACKAGE not in imported, f"{module} imports the registry"

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module) :] + [module]
        for imported in sorted(graph[module]):
            found = cycle_from(imported, path + [module])
            if found:
                return found
        return None

    for module in sorted(graph):
        cycle = cycle_from(module, [])
        assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cupy_is_imported_inside_functions_only() -> None:
    tree = ast.parse(MODULES[f"{PACKAGE}.cupy_backend"].read_text())
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {alias.name for node in top_level for alias in node.names}
    names |= {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
    assert not {name for name in names if name.split(".")[0] == "cupy"}, "cupy at module level"


def test_importing_the_kernels_does_not_import_cupy() -> None:
    code = f"import sys, {PACKAGE}; print('cupy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
