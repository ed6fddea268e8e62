"""A failed sweep says so: no finished trial -> one line and a non-zero exit, never an empty table."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common import SweepFailed
from sweep.rundir import Outcome, TrialRecord, check_outcome, error_line

RAY_ERROR = """Failure # 1 (occurred at 2026-11-22_18-40-01)
ray::ImplicitFunc.train() (pid=123, ip=10.0.0.2, actor_id=abc, repr=train_classifier)
  File "/x/ray/tune/trainable/trainable.py", line 331, in train
    raise skipped from exception_cause(skipped)
  File "/x/trainables/trainable.py", line 150, in trial_device
    raise RuntimeError(
RuntimeError: resources.trial.gpus=1 but torch 2.13.0+cpu on node n2 has no usable CUDA device
"""


def _record(tmp_path: Path, number: int, state: str, rows: list | None = None, error: str | None = None):
    d = tmp_path / f"train_classifier_{number:08x}_{number}_x"
    d.mkdir()
    if error is not None:
        (d / "error.txt").write_text(error)
    return TrialRecord(f"{number:08x}", number, d, {}, rows or [], state, "error.txt" if error else None)


def test_error_line_is_the_exception():
    assert error_line(None) == "no error file was written"


def test_error_line_from_a_ray_error_file(tmp_path):
    path = tmp_path / "error.txt"
    path.write_text(RAY_ERROR)
    assert error_line(path) == (
        "RuntimeError: resources.trial.gpus=1 but torch 2.13.0+cpu on node n2 has no usable CUDA device"
    )


def test_no_finished_trial_fails_with_the_first_error(tmp_path):
    recs = [_record(tmp_path, i, "ERROR", error=RAY_ERROR.replace("n2", f"n{i}")) for i in (1, 2, 3)]
    outcome = Outcome(records=recs)
    with pytest.raises(SweepFailed) as e:
        check_outcome(outcome, tmp_path)
    msg = str(e.value)
    assert len(msg.splitlines()) == 1
    assert "all 3 trials errored" in msg and "trial 1 (00000001)" in msg and "node n1" in msg
    assert f"full trace: {recs[0].path / 'error.txt'}" in msg
    assert f"synthsweep resume {tmp_path} --restart-errored" in msg
    assert e.value.exit_code == 1


def test_some_errored_is_counted(tmp_path):
    done = _record(tmp_path, 1, "TERMINATED", rows=[{"epoch": 1, "val_auc": 0.6}])
    bad = _record(tmp_path, 2, "ERROR", error=RAY_ERROR)
    outcome = Outcome(records=[done, bad])
    check_outcome(outcome, tmp_path)  # one finished: the sweep goes on to its verdict
    line = outcome.errors_line()
    assert line.startswith("1 of 2 trials errored; the first, trial 2 (00000002): RuntimeError:")


def test_no_result_at_all(tmp_path):
    with pytest.raises(SweepFailed, match="no trial of"):
        check_outcome(Outcome(records=[]), tmp_path)


@pytest.mark.integration
def test_sweep_where_every_trial_fails_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    """A real sweep (local Ray) whose only trial raises: exit 1, one line, no verdict, no summary."""
    import ray

    from sweep.cli import main
    from sweep.rundir import read_state
    from trainables.trainable import FAIL_ONCE_ENV

    from .conftest import REPO

    monkeypatch.setenv(FAIL_ONCE_ENV, str(tmp_path / "markers"))
    args = ["run", str(REPO / "conf" / "demo.yaml")]
    for o in (
        f"storage={tmp_path / 'runs'}",
        "search.num_samples=1",
        "search.max_failures=0",
        "data.max_train=24",
        "classifier.epochs=2",
    ):
        args += ["--set", o]
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        code = main(args)
    finally:
        ray.shutdown()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    last = err[-1]
    assert last.startswith("error: the sweep failed, no trial finished (all 1 trials errored)"), last
    assert "planted failure" in last and "full trace: " in last
    run_dir = tmp_path / "runs" / "demo"
    assert not (run_dir / "summary.json").exists()
    assert read_state(run_dir).status == "failed"
    assert os.path.isfile(last.split("full trace: ")[1].split(";")[0])
