"""Real interruptions: a planted trial failure, a driver killed with SIGKILL, Ctrl-C (SIGINT).

Each kill test starts ``synthsweep run`` in its own session, waits until Tune's saved state
shows two finished trials, interrupts the driver, runs ``synthsweep resume`` and checks that
the sweep ends with exactly ``search.num_samples`` trials, that the results written before the
interruption are byte-for-byte unchanged, and that resumed trials took their synthetic
examples from the cache instead of generating them again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from common import SweepFailed, UserError
from sweep import load_config, resume_sweep, run_sweep
from sweep.rundir import read_state, read_trials
from trainables.trainable import FAIL_ONCE_ENV

from . import _processes
from .conftest import REPO, wait_until

pytestmark = pytest.mark.integration

DEMO = REPO / "conf" / "demo.yaml"
SAMPLES = 4
# One temperature and n_synthetic in {0, 3} (one example per label): every trial with synthetic
# data wants the same three pools, so any trial after the first such one is served by the cache.
SMALL = {
    "data.max_train": 24,
    "search.num_samples": SAMPLES,
    "search.temperature": "[0.7, 0.7]",
    "search.n_synthetic": "[0, 3]",
    "search.n_synthetic_step": 3,
    "generator.max_new_tokens": 24,
    "classifier.epochs": 3,
}


def _overrides(storage: Path, test_file: Path, name: str, **extra) -> list[str]:
    over = {"storage": str(storage), "data.test": str(test_file), "name": name, **SMALL, **extra}
    return [f"{k}={v}" for k, v in over.items()]


@pytest.fixture(scope="module")
def test_slice(tmp_path_factory) -> Path:
    import pandas as pd

    df = pd.read_csv(REPO / "data" / "drugsComTest.tsv", sep="\t", index_col=0)
    path = tmp_path_factory.mktemp("data") / "test_slice.tsv"
    df.groupby("rating").head(12).to_csv(path, sep="\t")
    return path


@pytest.fixture(scope="module")
def shared_storage(tmp_path_factory) -> Path:
    """Both kill tests use one storage dir, so the second one's pools all come from the cache."""
    return tmp_path_factory.mktemp("runs")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sweep.cli", *args]


def _run_args(storage: Path, test_file: Path, name: str) -> list[str]:
    return ["run", str(DEMO), *sum((["--set", o] for o in _overrides(storage, test_file, name)), [])]


DRIVER_VAR = "SYNTHSWEEP_TEST_DRIVER"
"""Marks the processes one driver started (tests/_processes.py): its Ray, workers included."""


def _start_driver(args: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start a driver in its own session, its processes marked with a fresh ``DRIVER_VAR``."""
    mark = uuid.uuid4().hex
    env = {**(os.environ if env is None else env), DRIVER_VAR: mark}
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO, env=env)
    return proc, mark


def _reap(proc: subprocess.Popen, mark: str, check: bool) -> None:
    """After the driver: with ``check``, everything it started must exit by itself within 30 s
    (else it is killed and the test fails, naming it); without, whatever is left is killed.

    Found by its mark, not as the driver's process group or a snapshot of its children: Ray runs
    each worker in a process group of its own, and workers start after any snapshot.
    """
    left: list = []
    if check and proc.poll() is not None:
        left = _processes.wait_gone(_processes.marked(DRIVER_VAR, mark), timeout=30)
        lines = [_processes.describe(p) for p in left]
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    _processes.kill_marked(DRIVER_VAR, mark)
    assert not left, "the driver's processes outlived it by 30 s:\n" + "\n".join(lines)


def _start_and_interrupt(
    run_dir: Path, args: list[str], sig: int, log: Path, check_status: bool = False
) -> tuple[subprocess.Popen, dict]:
    """Start the driver, wait for a finished trial and one held mid-way, send ``sig``.

    The first trial with synthetic data waits after its first epoch while a hold file exists
    (``SYNTHSWEEP_TEST_HOLD_FILE``), so the signal always finds work done and work left: the
    trials take a fraction of a second each, and a poll alone raced them to the end.
    With ``check_status``, ``synthsweep status`` is run once while the driver works.
    Returns the driver and the result files of the trials finished before the signal.
    """
    hold = log.with_name(log.name + ".hold")
    hold.touch()
    proc, mark = _start_driver(args, log, env={**os.environ, "SYNTHSWEEP_TEST_HOLD_FILE": str(hold)})
    ok = False
    try:
        deadline = time.monotonic() + 1200
        while True:
            assert proc.poll() is None, f"the driver exited early ({proc.returncode}):\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, "no finished trial and held trial in time"
            records = read_trials(run_dir)
            finished = [r for r in records if r.state == "TERMINATED"]
            held = [r for r in records if r.state != "TERMINATED" and r.rows]
            if finished and check_status:
                check_status = False
                status = subprocess.run(_cli("status", str(run_dir)), capture_output=True, text=True, cwd=REPO)
                assert status.returncode == 0, status.stderr
                assert status.stdout.startswith(f"{run_dir.name}: running (driver pid {proc.pid}); ")
                assert "TERMINATED" in status.stdout and "best so far: trial " in status.stdout
            if finished and held:
                break
            time.sleep(0.25)
        before = {r.trial_id: (r.path / "result.json").read_bytes() for r in finished}
        if sig == signal.SIGKILL:
            proc.kill()
            proc.wait()
        else:
            os.killpg(proc.pid, sig)  # a terminal's Ctrl-C reaches the whole foreground group
            hold.unlink()
            proc.wait(timeout=300)
        ok = True
    finally:
        hold.unlink(missing_ok=True)
        # A driver killed with SIGKILL runs no clean-up: its Ray goes by fate-sharing (the raylet is
        # killed with it; its workers exit once they see the raylet's pid gone), which a machine
        # whose first process reaps no orphans defeats (the dead raylet stays a zombie). What it
        # leaves is this test's doing, and killed here; a driver that stops by itself must leave nothing.
        _reap(proc, mark, check=ok and sig != signal.SIGKILL)
    return proc, before


def _resume(run_dir: Path, log: Path) -> None:
    proc, mark = _start_driver(_cli("resume", str(run_dir)), log)
    ok = False
    try:
        rc = proc.wait(timeout=1200)
        ok = True
    finally:
        _reap(proc, mark, check=ok)
    assert rc == 0, log.read_text()[-3000:]


def _check_resumed(run_dir: Path, before: dict[str, bytes]) -> None:
    from generators import balanced_counts

    records = read_trials(run_dir)
    assert len(records) == SAMPLES, [(r.trial_id, r.state) for r in records]
    assert all(r.state == "TERMINATED" and r.epochs == 3 for r in records), [(r.state, r.epochs) for r in records]
    ids = {r.trial_id for r in records}
    assert set(before) <= ids, "no trial finished before the interruption is lost"
    assert len(before) < SAMPLES, "the interruption left something to resume"
    for r in records:
        if r.trial_id in before:
            assert (r.path / "result.json").read_bytes() == before[r.trial_id], f"trial {r.trial_id} was run again"

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trials"]["total"] == SAMPLES
    assert read_state(run_dir).status == "finished" and read_state(run_dir).resumed == 1
    _check_one_study(run_dir, len(before))

    # The cache: every trial's examples are generated or cached, nothing is generated twice,
    # and a resumed trial whose pools a trial before the interruption filled generated nothing.
    cfg = load_config(run_dir / "config.yaml")
    labels = summary["data"]["labels"]
    filled: dict[str, int] = {lab: 0 for lab in labels}
    for r in records:
        if r.trial_id in before:
            for lab, k in balanced_counts(int(r.params["n_synthetic"]), labels).items():
                filled[lab] = max(filled[lab], k)
    generated = 0
    for r in records:
        last = r.rows[-1]
        assert last["synthetic_generated"] + last["synthetic_from_cache"] == last["n_synthetic_used"]
        generated += last["synthetic_generated"]
        need = balanced_counts(int(r.params["n_synthetic"]), labels)
        if r.trial_id not in before and all(k <= filled[lab] for lab, k in need.items()):
            assert last["synthetic_generated"] == 0 and last["synthetic_from_cache"] == last["n_synthetic_used"]
    per_label = balanced_counts(cfg.search.n_synthetic[1], labels)
    assert generated <= sum(per_label.values()), "an example was generated twice"


def _check_one_study(run_dir: Path, finished_before: int) -> None:
    """The resumed search kept adding to the run's one Optuna study. A trial the searcher handed
    out after its last saved state (a killed driver) stays open there; Tune still ran it."""
    import optuna

    from sweep.rundir import study_name, study_url

    summaries = optuna.get_all_study_summaries(storage=study_url(None, run_dir))
    assert [s.study_name for s in summaries] == [study_name(run_dir)]
    study = optuna.load_study(study_name=study_name(run_dir), storage=study_url(None, run_dir))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert finished_before - 1 <= len(done) <= SAMPLES - 1  # the baseline is outside Optuna's space


def test_sigkill_driver_then_resume(shared_storage, test_slice, tmp_path):
    run_dir = shared_storage / "killed"
    args = _cli(*_run_args(shared_storage, test_slice, "killed"))
    _, before = _start_and_interrupt(run_dir, args, signal.SIGKILL, tmp_path / "run.log", check_status=True)
    assert read_state(run_dir).status == "running", "a killed driver leaves the run marked running"
    assert not (run_dir / "summary.json").exists()

    # A new run under the same name is sent to resume instead of starting over.
    from sweep.cli import main

    assert main(_run_args(shared_storage, test_slice, "killed")) == 2

    _resume(run_dir, tmp_path / "resume.log")
    _check_resumed(run_dir, before)


def test_ctrl_c_then_resume(shared_storage, test_slice, tmp_path):
    run_dir = shared_storage / "interrupted"
    args = _cli(*_run_args(shared_storage, test_slice, "interrupted"))
    proc, before = _start_and_interrupt(run_dir, args, signal.SIGINT, tmp_path / "run.log")
    out = (tmp_path / "run.log").read_text()
    assert proc.returncode == 130, out[-3000:]
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last.startswith("sweep interrupted with "), out[-3000:]
    assert last.endswith(f"continue it with: synthsweep resume {run_dir}")
    assert read_state(run_dir).status == "interrupted"

    _resume(run_dir, tmp_path / "resume.log")
    _check_resumed(run_dir, before)

    # Resuming a finished sweep is refused with one line.
    proc = subprocess.run(_cli("resume", str(run_dir)), capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {run_dir} holds a finished sweep; nothing to resume"


def test_ctrl_c_during_a_resumed_verdict_marks_the_run_interrupted_and_resumes_to_the_same_verdict(
    shared_storage, test_slice, tmp_path
):
    """run and resume share one path: Ctrl-C in a resumed sweep's verdict is handled as in a new one."""
    from sweep.verdict import HOLD_ENV

    run_dir = shared_storage / "verdict-interrupted"
    args = _cli(*_run_args(shared_storage, test_slice, "verdict-interrupted"))
    _start_and_interrupt(run_dir, args, signal.SIGINT, tmp_path / "run.log")
    assert read_state(run_dir).status == "interrupted"

    hold = tmp_path / "verdict.hold"
    hold.touch()
    log = tmp_path / "resume.log"
    proc, mark = _start_driver(_cli("resume", str(run_dir)), log, env={**os.environ, HOLD_ENV: str(hold)})
    ok = False
    try:
        reached = Path(f"{hold}.reached")
        wait_until(lambda: reached.exists() or proc.poll() is not None, 1200, "the resumed sweep's verdict")
        assert proc.poll() is None, log.read_text()[-3000:]
        assert read_state(run_dir).status == "running"
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=300)
        ok = True
    finally:
        hold.unlink(missing_ok=True)
        _reap(proc, mark, check=ok)
    out = log.read_text()
    assert proc.returncode == 130, out[-3000:]
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last == (
        f"sweep interrupted during its verdict (all {SAMPLES} trials finished); "
        f"continue it with: synthsweep resume {run_dir}"
    ), out[-3000:]
    assert read_state(run_dir).status == "interrupted" and not (run_dir / "summary.json").exists()

    _resume(run_dir, tmp_path / "resume-2.log")
    assert read_state(run_dir).status == "finished"
    verdict = json.loads((run_dir / "summary.json").read_text())["verdict"]
    assert verdict == _verdict_without_interruption(run_dir, verdict["verdict_s"])


def _verdict_without_interruption(run_dir: Path, verdict_s: float) -> dict:
    """The verdict of the run's finished trials, computed here from the run directory alone."""
    from sweep.inputs import classifier_settings, prepare
    from sweep.rundir import recorded_config, select
    from sweep.verdict import run_verdict

    p = prepare(recorded_config(run_dir), run_dir=run_dir)
    verdict = run_verdict(p.cfg, p.data, classifier_settings(p), select(read_trials(run_dir)))
    return json.loads(verdict.model_copy(update={"verdict_s": verdict_s}).model_dump_json())


# ----------------------------------------------------------------------------- planted failures
# No synthetic data here (n_synthetic fixed at 0): these test Tune's retries, not generation.
NO_SYNTH = {"search.n_synthetic": "[0, 0]", "search.num_samples": 2}


def test_planted_failure_is_retried_and_the_trial_continues_exactly(
    ray_start_2_cpus, tmp_path, test_slice, monkeypatch
):
    storage = tmp_path / "runs"
    clean = run_sweep(load_config(DEMO, _overrides(storage, test_slice, "clean", **NO_SYNTH))).run_dir

    markers = tmp_path / "markers"
    monkeypatch.setenv(FAIL_ONCE_ENV, str(markers))
    flaky = run_sweep(
        load_config(DEMO, _overrides(storage, test_slice, "flaky", **NO_SYNTH, **{"search.max_failures": 1}))
    ).run_dir

    records, reference = read_trials(flaky), read_trials(clean)
    assert len(list(markers.iterdir())) == 2, "each trial failed once"
    assert [(r.state, r.failures, r.epochs) for r in records] == [("TERMINATED", 1, 3)] * 2
    for r, ref in zip(records, reference):
        assert r.params == ref.params
        # Continued from the epoch-1 checkpoint with its optimizer and shuffling state: the same
        # numbers as the trial that never failed.
        assert [row["val_auc"] for row in r.rows] == [row["val_auc"] for row in ref.rows]
        assert [row["epoch"] for row in r.rows] == [1, 2, 3]


def test_errored_trials_are_restarted_on_request(ray_start_2_cpus, tmp_path, test_slice, monkeypatch):
    storage = tmp_path / "runs"
    monkeypatch.setenv(FAIL_ONCE_ENV, str(tmp_path / "markers"))
    cfg = load_config(DEMO, _overrides(storage, test_slice, "errored", **NO_SYNTH, **{"search.max_failures": 0}))
    # No trial finished: the sweep fails with one line, no verdict, no summary.
    with pytest.raises(SweepFailed, match="no trial finished .all 2 trials errored.; first error in trial 1"):
        run_sweep(cfg)
    run_dir = storage / "errored"
    assert [r.state for r in read_trials(run_dir)] == ["ERROR", "ERROR"]
    assert not (run_dir / "summary.json").exists() and read_state(run_dir).status == "failed"

    with pytest.raises(UserError, match="retry its 2 errored trial.s. with --resume-errored or --restart-errored"):
        resume_sweep(run_dir)
    old = {r.trial_id for r in read_trials(run_dir)}
    resume_sweep(run_dir, restart_errored=True)
    records = read_trials(run_dir)
    assert [(r.state, r.epochs) for r in records] == [("TERMINATED", 3)] * 2
    assert not old & {r.trial_id for r in records}, "restarted from scratch under new ids"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trials"] == {"total": 2, "with_results": 2, "errored": 0}
