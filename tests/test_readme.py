"""The README cannot rot: its shown commands produce the output it shows (litgpt's test_readme idea)."""

from __future__ import annotations

import re
import shlex

import pytest

from sweep.cli import main

from .conftest import REPO

README = (REPO / "README.md").read_text()
# In the README's Errors section (examples elsewhere depend on a run's state): a "$ synthsweep ..."
# line followed by the one "error: ..." line it prints.
ERRORS_SECTION = README.split("### Errors", 1)[1].split("\n## ", 1)[0]
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
