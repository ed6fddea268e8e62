"""The README and docs/ cannot rot: shown commands produce the output shown, links resolve (litgpt's test_readme)."""

from __future__ import annotations

import re
import shlex

import pytest

from sweep.cli import main

from .conftest import REPO

README = (REPO / "README.md").read_text()
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COMMANDS = (REPO / "docs" / "commands.md").read_text()
# In the Errors section of docs/commands.md (examples elsewhere depend on a run's state): a
# "$ synthsweep ..." line followed by the one "error: ..." line it prints.
ERRORS_SECTION = COMMANDS.split("## Errors", 1)[1].split("\n## ", 1)[0]
ERROR_EXAMPLES = re.findall(r"^\$ synthsweep (.+)\n(error: .+)$", ERRORS_SECTION, flags=re.M)


def test_readme_shows_error_examples():
    assert len(ERROR_EXAMPLES) >= 2


@pytest.mark.parametrize("args, expected", ERROR_EXAMPLES, ids=[a for a, _ in ERROR_EXAMPLES])
def test_readme_error_examples_are_real(capsys, monkeypatch, args, expected):
    monkeypatch.chdir(REPO)
    assert main(shlex.split(args)) == 2
    assert capsys.readouterr().err.strip() == expected


def test_readme_set_up_commands_exist_in_makefile():
    makefile = (REPO / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_readme_is_a_front_door():
    assert len(README.splitlines()) < 200, "detail belongs in docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    for target in re.findall(r"\]\((?!https?://|#)([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
