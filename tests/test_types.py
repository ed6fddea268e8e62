"""The type check runs with the tests (CI runs `make test`): mypy over common, generators, trainables, sweep."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import REPO


def test_mypy_passes():
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: pip install -e '.[test]'")
    # Configured in pyproject.toml ([tool.mypy]: the four packages, the pydantic plugin).
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
