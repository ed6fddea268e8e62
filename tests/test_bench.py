"""The benchmarks keep running: each script at a tiny size, as `python bench/NAME.py` from the repo root."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "args",
    [
        ["bench/generation.py", "--per-label", "1", "--temperatures", "0.8"],
        ["bench/sweep_overhead.py", "--trials", "2", "--max-synthetic", "6", "--epochs", "2", "--verdict-seeds", "2"],
        ["bench/scale.py", "--sizes", "2", "4", "--rounds", "1", "--sleep", "0.2"],
        ["bench/tune_start.py", "--rounds", "1"],
        ["bench/verdict_calibration.py", "--sets", "20", "--resamples", "200"],
    ],
    ids=lambda a: a[0],
)
def test_benchmark_runs_in_smoke_form(args):
    # The script's own directory comes first on sys.path: a script named like a package would shadow it.
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ratio" in proc.stdout
