"""A real curve: two sizes, two draws each, real Ray and Optuna, interrupted and resumed.

The "synthetic" examples are real held-out reviews from a file (as in the positive control), so a
point takes seconds and the curve has a lift to find at the small size.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sweep import load_config
from sweep.curve import CURVE_FILE, run_curve

from .conftest import REPO
from .test_positive_control import _control_inputs
from .test_resume_integration import _cli, _reap, _start_driver

pytestmark = pytest.mark.integration

DEMO = REPO / "conf" / "demo.yaml"


def _overrides(tmp_path: Path, storage: Path) -> list[str]:
    data, held, _ = _control_inputs(tmp_path, "demo")
    over = {
        "name": "small",
        "storage": str(storage),
        **data,
        "data.validation_fraction": 0.5,
        "data.max_train": "null",
        "generator.backend": "file",
        "generator.model": str(held),
        "search.num_samples": 3,
        "search.n_synthetic": "[120, 200]",
        "search.n_synthetic_step": 20,
        "search.real_ratio": "[0.1, 0.2]",
        "classifier.epochs": 10,
        "eval.repeats": 1,
        "eval.verdict_seeds": 2,
        "eval.bootstrap": 1000,
    }
    return [f"{k}={v}" for k, v in over.items()]


def _curve_args(overrides: list[str]) -> list[str]:
    return ["curve", str(DEMO), "--sizes", "3", "10", "--draws", "2", *sum((["--set", o] for o in overrides), [])]


def _interrupt_during_second_point(curve_dir: Path, args: list[str], log: Path) -> bytes:
    """Run the curve until its second point's verdict, then Ctrl-C; the first point's summary."""
    hold = log.with_name("hold")
    proc, mark = _start_driver(_cli(*args), log, env={**os.environ, "SYNTHSWEEP_TEST_HOLD_VERDICT_FILE": str(hold)})
    first = curve_dir / "n3-d0" / "summary.json"
    ok = False
    try:
        deadline = time.monotonic() + 900
        while not first.is_file():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the first point did not finish in time"
            time.sleep(0.2)
        reached = Path(str(hold) + ".reached")
        reached.unlink(missing_ok=True)  # the first point's verdict passed the hook too
        hold.touch()  # the next verdict waits here
        while not reached.exists():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the second point's verdict was not reached in time"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=300)
        ok = True
    finally:
        hold.unlink(missing_ok=True)
        _reap(proc, mark, check=ok)
    out = log.read_text()
    assert rc == 130, out[-3000:]
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last == f"curve interrupted with 1 of 4 points finished; continue it with: synthsweep resume {curve_dir}"
    return first.read_bytes()


def test_curve_runs_is_interrupted_and_resumes_to_the_same_table(tmp_path):
    storage = tmp_path / "runs"
    overrides = _overrides(tmp_path, storage)
    curve_dir = storage / "small-curve"
    first = _interrupt_during_second_point(curve_dir, _curve_args(overrides), tmp_path / "curve.log")

    proc, mark = _start_driver(_cli("resume", str(curve_dir)), tmp_path / "resume.log")
    try:
        rc = proc.wait(timeout=900)
    finally:
        _reap(proc, mark, check=True)
    out = (tmp_path / "resume.log").read_text()
    assert rc == 0, out[-3000:]
    assert "curve: point 1/4 (3 per label, draw 0): already finished" in out
    assert (curve_dir / "n3-d0" / "summary.json").read_bytes() == first, "a finished point is not run again"

    curve = json.loads((curve_dir / CURVE_FILE).read_text())
    assert curve["sizes"] == [3, 10] and curve["draws"] == 2 and len(curve["points"]) == 4
    assert set(curve["by_size"]) == {"3", "10"}
    for arms in curve["by_size"].values():
        assert {"baseline", "oversample", "eda", "best"} <= set(arms)
        lo, hi = arms["best"]["delta_auc"]["ci95"]
        assert lo <= arms["best"]["delta_auc"]["mean"] <= hi
    assert curve["by_size"]["3"]["best"]["conclusion"] == "better", curve["sentence"]
    assert curve["sentence"].startswith("Synthetic data helped at 3")
    assert (curve_dir / "report" / "curve.png").is_file() and (curve_dir / "report" / "index.html").is_file()
    status = subprocess.run(_cli("status", str(curve_dir)), capture_output=True, text=True, cwd=REPO)
    assert status.returncode == 0 and status.stdout.startswith("small-curve: curve of 4 points, 4 finished")

    # The same curve without an interruption: the same table.
    import ray

    again = run_curve(load_config(DEMO, [*overrides, f"storage={tmp_path / 'again'}"]), (3, 10), 2)
    assert ray.is_initialized() is False
    assert again.model_dump(mode="json")["by_size"] == curve["by_size"]
