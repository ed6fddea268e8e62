"""Functions a reader can hold: none in the packages is longer than 60 lines (docstring included)."""

from __future__ import annotations

import ast

import pytest

from .conftest import REPO

LIMIT = 60
PACKAGES = ("common", "generators", "trainables", "sweep")


def _functions():
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{path.relative_to(REPO)}:{node.name}", node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_the_limit():
    long = {name: n for name, n in _functions() if n > LIMIT}
    assert not long, f"functions over {LIMIT} lines: {long}"


def test_the_check_sees_the_functions():
    names = dict(_functions())
    assert "sweep/_pipeline.py:_drive" in names and len(names) > 300


@pytest.mark.parametrize("package", PACKAGES)
def test_no_comment_cites_an_issue_number(package):
    """Comments say why, not which ticket: history belongs in the commit log."""
    import re

    pattern = re.compile(r"#.*\bissue \d+|\(issue \d+", re.IGNORECASE)
    hits = [
        f"{p.relative_to(REPO)}:{i}"
        for p in (REPO / package).rglob("*.py")
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits
