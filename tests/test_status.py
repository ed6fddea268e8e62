"""``synthsweep status``: trials in Tune's words from the run directory alone, without Ray."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from sweep.cli import main
from sweep.rundir import RunState, write_state

from .fakes import fake_experiment_state, fake_trial_dir

# Only the run's own files: a status must not need (or start) Ray.
NO_RAY = (
    "import sys; from sweep.cli import main; code = main(sys.argv[1:]); assert 'ray' not in sys.modules; sys.exit(code)"
)


def _run_dir(tmp_path, status="running", **kw):
    run_dir = tmp_path / "demo"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text("data: {train: x.csv}\nsearch: {num_samples: 4}\nclassifier: {epochs: 3}\n")
    write_state(run_dir, RunState(status=status, started=0.0, **kw))
    fake_trial_dir(run_dir, "aaaaaaaa", 1, [1, 2, 3])
    fake_trial_dir(run_dir, "bbbbbbbb", 2, [1])
    fake_trial_dir(run_dir, "cccccccc", 3, [1], error=True)
    fake_experiment_state(run_dir, {"aaaaaaaa": "TERMINATED", "bbbbbbbb": "RUNNING", "cccccccc": "ERROR"})
    return run_dir


def test_status_of_a_stopped_sweep_without_ray(tmp_path):
    run_dir = _run_dir(tmp_path)  # marked running, but no driver: killed
    proc = subprocess.run([sys.executable, "-c", NO_RAY, "status", str(run_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith(
        f"demo: stopped (driver gone); continue with: synthsweep resume {run_dir}; 2 of 4 trials finished"
    )
    for word in ("TERMINATED", "RUNNING", "ERROR"):
        assert word in out
    assert "3/3" in out and "1/3" in out
    assert "best so far: trial 1 (aaaaaaaa) val AUC 0.532 at epoch 3" in out


def test_status_while_the_driver_runs(tmp_path, capsys):
    run_dir = _run_dir(tmp_path, pid=os.getpid(), host=socket.gethostname())
    assert main(["status", str(run_dir)]) == 0
    assert capsys.readouterr().out.startswith(f"demo: running (driver pid {os.getpid()}); 2 of 4 trials finished")


def test_status_of_something_else_is_one_line(tmp_path, capsys):
    assert main(["status", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path} is not a synthsweep run directory (no synthsweep_run.json and config.yaml)"


@pytest.mark.integration
def test_status_of_a_finished_real_sweep(small_run, capsys):
    assert main(["status", str(small_run)]) == 0
    out = capsys.readouterr().out
    summary = json.loads((small_run / "summary.json").read_text())
    assert out.startswith("small: finished; 4 of 4 trials finished")
    assert out.count("TERMINATED") == 4 and out.count("4/4") == 4
    best = summary["best"]
    assert f"({best['trial_id']}) val AUC {best['val_auc']:.3f} at epoch {best['best_epoch']}" in out


@pytest.mark.parametrize("width", [80, 60])
def test_status_never_shortens_trial_ids(tmp_path, width):
    import io

    from rich.console import Console

    from sweep.outputs import print_status

    run_dir = _run_dir(tmp_path)
    buf = io.StringIO()
    print_status(run_dir, console=Console(file=buf, width=width, color_system=None))
    out = buf.getvalue()
    for tid in ("aaaaaaaa", "bbbbbbbb", "cccccccc"):
        assert tid in out
    assert "…" not in out
