"""Package borders, enforced: imports run downward only, packages meet at their faces, no cycles.

Layers, bottom up: ``common`` (hashing, atomic writes, errors, signals, offline switches),
``generators``, ``trainables``, ``sweep``. A package imports only from layers below it, and only
the names another package's ``__init__`` re-exports (never ``pkg._private``). Inside ``sweep``
the stages are layers too, bottom up as ``STAGES`` lists them, and meet at their faces the same
way. Imports inside functions count too.
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


STAGES = [
    "sweep.config",
    "sweep.rundir",
    "sweep.inputs",
    "sweep.verdict",
    "sweep.outputs",
    "sweep.cluster",
    "sweep.search",
    "sweep._pipeline",
    "sweep.curve",
    "sweep.cli",
    "sweep",
]
"""The stages of ``sweep``, bottom up; ``sweep`` itself is its face."""


def _stage(module: str) -> str | None:
    for stage in sorted(STAGES, key=len, reverse=True):
        if module == stage or module.startswith(stage + "."):
            return stage
    return None


SWEEP_MODULES = sorted(m for m in MODULES if m.split(".")[0] == "sweep")


def test_every_sweep_module_belongs_to_a_stage():
    assert [m for m in SWEEP_MODULES if _stage(m) is None] == []


def test_the_sweep_package_is_its_stages():
    """Its top level: the face, the command line, the pipeline and one subpackage per stage."""
    entries = {p.name for p in (REPO / "sweep").iterdir() if p.name != "__pycache__"}
    stages = {s.split(".")[1] for s in STAGES if s.count(".") == 1 and not s.endswith(("_pipeline", "cli"))}
    assert entries == {"__init__.py", "py.typed", "cli.py", "_pipeline.py", *stages}


@pytest.mark.parametrize("module", SWEEP_MODULES)
def test_sweep_stages_import_downward(module):
    own = STAGES.index(_stage(module))
    upward = [i for i in GRAPH[module] if i in MODULES and _stage(i) and STAGES.index(_stage(i)) > own]
    assert not upward, f"{module} imports from a later stage: {upward}"


@pytest.mark.parametrize("module", SWEEP_MODULES)
def test_sweep_stages_meet_at_their_faces(module):
    own = _stage(module)
    private = [
        i
        for i in GRAPH[module]
        if i.startswith("sweep.") and _stage(i) != own and any(p.startswith("_") for p in i.split(".")[2:])
    ]
    assert not private, f"{module} reaches into another stage's private modules: {private}"


def test_outputs_never_reach_ray():
    """status, report and export start no Ray: nothing in outputs imports cluster or search."""
    bad = {
        m: [i for i in GRAPH[m] if _stage(i) in ("sweep.cluster", "sweep.search")]
        for m in SWEEP_MODULES
        if _stage(m) == "sweep.outputs"
    }
    assert not {m: i for m, i in bad.items() if i}


def test_only_the_commands_import_the_pipeline():
    """The face, the command line, and the curve (which runs the pipeline once per point)."""
    importers = {m for m, imports in GRAPH.items() if "sweep._pipeline" in imports}
    assert importers <= {"sweep", "sweep.cli", "sweep.curve._run"}, importers
