"""Package borders, enforced: imports run downward only, packages meet at their faces, no cycles.

Layers, bottom up: ``common`` (hashing, atomic writes, errors, offline switches), ``generators``,
``trainables``, ``sweep``. A package imports only from layers below it, and only the names another
package's ``__init__`` re-exports (never ``pkg._private``). Imports inside functions count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import REPO

LAYERS = ["common", "generators", "trainables", "sweep"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    """Absolute names of every module ``path`` imports (``from x import y`` counts y when it is a module)."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append(target)
            for a in node.names:
                candidate = f"{target}.{a.name}"
                if (REPO / candidate.replace(".", "/")).with_suffix(".py").is_file() or (
                    REPO / candidate.replace(".", "/") / "__init__.py"
                ).is_file():
                    out.append(candidate)
    return out


MODULES = {
    _module_name(p): p for layer in LAYERS for p in sorted((REPO / layer).rglob("*.py")) if "__pycache__" not in p.parts
}
GRAPH = {m: [i for i in _imports(p) if i.split(".")[0] in LAYERS] for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_downward(module):
    own = LAYERS.index(module.split(".")[0])
    upward = [i for i in GRAPH[module] if LAYERS.index(i.split(".")[0]) > own]
    assert not upward, f"{module} imports from a layer above it: {upward}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_module_of_another_package(module):
    top = module.split(".")[0]
    private = [
        i for i in GRAPH[module] if i.split(".")[0] != top and any(part.startswith("_") for part in i.split(".")[1:])
    ]
    assert not private, f"{module} reaches into another package's private modules: {private}"


def test_no_import_cycle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH.get(v, []):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in sorted(MODULES):
        if m not in index:
            visit(m)
    assert not cycles, f"import cycles: {cycles}"


def test_only_the_commands_import_the_runner():
    """The runner orchestrates; it is reached from the command layer (cli, the package face, resume)."""
    importers = {m for m, imports in GRAPH.items() if "sweep._runner" in imports}
    assert importers <= {"sweep", "sweep.cli", "sweep._resume"}, importers
