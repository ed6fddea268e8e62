"""Resume without Ray: trials continue from checkpoints, trial rows fold across attempts, bad run dirs."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from common import SweepInterrupted, UserError
from sweep import resume_sweep
from sweep.cli import main
from sweep.rundir import RunState, read_state, read_trials, write_state
from trainables import TrialParams
from trainables.trainable import FAIL_ONCE_ENV, planted_failure, run_trial

from .conftest import REPO, demo_trial_data, tiny_trial_settings
from .fakes import FakePool, fake_experiment_state, fake_trial_dir


class Crash(Exception):
    pass


def _collect(tmp_path: Path, name: str, stop_after: int | None = None):
    reports = []

    def report(metrics, ckpt):
        saved = tmp_path / f"{name}-{metrics['epoch']}"
        if ckpt is not None:  # epochs that did not improve report without a checkpoint
            shutil.copytree(ckpt, saved)
        reports.append((metrics, saved if ckpt is not None else None))
        if stop_after is not None and metrics["epoch"] == stop_after:
            raise Crash  # the worker dies right after Tune got the epoch's checkpoint

    return reports, report


def test_head_trial_continues_from_its_checkpoint_exactly(tiny_bert, tmp_path):
    params, data = TrialParams(0.7, 6, 0.6), demo_trial_data()
    settings = tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=4)
    whole, report = _collect(tmp_path, "whole")
    run_trial(params, data, settings, FakePool(), report)

    part, report = _collect(tmp_path, "part", stop_after=2)
    with pytest.raises(Crash):
        run_trial(params, data, settings, FakePool(), report)
    rest, report = _collect(tmp_path, "rest")
    # Tune hands a restarted trial its latest checkpoint: epoch 1 always has one, epoch 2 if it improved.
    latest_epoch, latest = [(m["epoch"], c) for m, c in part if c is not None][-1]
    run_trial(params, data, settings, FakePool(), report, resume_from=latest)

    assert [m["epoch"] for m, _ in rest] == list(range(latest_epoch + 1, 5))
    for (a, _), (b, _) in zip(whole[latest_epoch:], rest):
        assert a["train_loss"] == b["train_loss"] and a["val_auc"] == b["val_auc"]
        assert a["best_val_auc"] == b["best_val_auc"]


def test_finished_trial_is_not_trained_again(tiny_bert, tmp_path):
    params, data = TrialParams(0.7, 6, 0.6), demo_trial_data()
    settings = tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=2)
    done, report = _collect(tmp_path, "done")
    run_trial(params, data, settings, FakePool(), report)
    fetch = FakePool()
    again, report = _collect(tmp_path, "again")
    run_trial(params, data, settings, fetch, report, resume_from=done[-1][1])
    assert again == [] and fetch.calls == []


def test_full_mode_restarts_and_another_trials_checkpoint_is_ignored(tiny_bert, tmp_path):
    data = demo_trial_data()
    settings = tiny_trial_settings(tiny_bert, tmp_path, "full", epochs=2)
    part, report = _collect(tmp_path, "part", stop_after=1)
    with pytest.raises(Crash):
        run_trial(TrialParams(0.7, 3, 0.6), data, settings, FakePool(), report)
    again, report = _collect(tmp_path, "again")
    run_trial(TrialParams(0.7, 3, 0.6), data, settings, FakePool(), report, resume_from=part[-1][1])
    assert [m["epoch"] for m, _ in again] == [1, 2]  # no optimizer state in a merged model: start over

    other, report = _collect(tmp_path, "other")
    head = tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=2)
    run_trial(TrialParams(0.8, 3, 0.6), data, head, FakePool(), report, resume_from=part[-1][1])
    assert [m["epoch"] for m, _ in other] == [1, 2]


def test_planted_failure_is_inert_without_its_env_var_and_fails_once_with_it(tmp_path, monkeypatch):
    monkeypatch.delenv(FAIL_ONCE_ENV, raising=False)
    planted_failure({"n_synthetic": 3}, 1)
    monkeypatch.setenv(FAIL_ONCE_ENV, str(tmp_path / "markers"))
    planted_failure({"n_synthetic": 3}, 2)  # only after the first epoch
    with pytest.raises(RuntimeError, match="planted failure"):
        planted_failure({"n_synthetic": 3}, 1)
    planted_failure({"n_synthetic": 3}, 1)  # the retry passes
    with pytest.raises(RuntimeError):
        planted_failure({"n_synthetic": 6}, 1)


# ----------------------------------------------------------------------------- trial directories


def test_rows_of_a_retried_trial_are_its_latest_attempt(tmp_path):
    fake_trial_dir(tmp_path, "aaaaaaaa", 1, [1, 2, 1, 2, 3])  # restarted from scratch
    fake_trial_dir(tmp_path, "bbbbbbbb", 2, [1, 2, 2, 3])  # continued from the epoch-1 checkpoint
    a, b = read_trials(tmp_path)
    assert [r["epoch"] for r in a.rows] == [1, 2, 3] and a.rows[0]["val_auc"] == pytest.approx(0.512)
    assert [r["epoch"] for r in b.rows] == [1, 2, 3] and b.rows[1]["val_auc"] == pytest.approx(0.522)


def test_an_errored_trial_replaced_by_a_restart_is_not_counted(tmp_path):
    fake_trial_dir(tmp_path, "aaaaaaaa", 1, [1], error=True)
    fake_trial_dir(tmp_path, "cccccccc", 3, [1, 2])
    fake_trial_dir(tmp_path, "dddddddd", 4, [])  # started after the last snapshot
    fake_experiment_state(tmp_path, {"aaaaaaaa": "ERROR"}, name="2026-01-01_00-00-00")
    fake_experiment_state(tmp_path, {"cccccccc": "TERMINATED"}, name="2026-01-02_00-00-00")
    records = read_trials(tmp_path)
    assert [(r.trial_id, r.state, r.failures) for r in records] == [
        ("cccccccc", "TERMINATED", 1),
        ("dddddddd", "PENDING", 0),
    ]


# ----------------------------------------------------------------------------- refusals


def _run_dir(tmp_path: Path, status: str, **kw) -> Path:
    run_dir = tmp_path / "demo"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text("data: {train: x.csv}\n")
    write_state(run_dir, RunState(status=status, started=0.0, **kw))
    return run_dir


def test_resume_refuses_what_is_not_a_run(tmp_path, capsys):
    assert main(["resume", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nowhere'} is not a directory"
    assert main(["resume", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {tmp_path} is not a synthsweep run directory (no synthsweep_run.json and config.yaml)"


def test_resume_refuses_a_finished_sweep(tmp_path, capsys):
    run_dir = _run_dir(tmp_path, "finished")
    assert main(["resume", str(run_dir)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {run_dir} holds a finished sweep; nothing to resume"


def test_resume_refuses_a_sweep_whose_driver_still_runs(tmp_path):
    run_dir = _run_dir(tmp_path, "running", pid=os.getpid(), host=socket.gethostname())
    with pytest.raises(UserError, match=f"is being run by process {os.getpid()}"):
        resume_sweep(run_dir)
    assert read_state(run_dir).status == "running"


def test_interruption_prints_the_resume_command_last(tmp_path, capsys, monkeypatch):
    import sweep._pipeline

    def interrupted(run_dir, **kw):
        raise SweepInterrupted(run_dir, 2, 8)

    monkeypatch.setattr(sweep._pipeline, "resume_sweep", interrupted)
    assert main(["resume", str(tmp_path)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"sweep interrupted with 2 of 8 trials finished; continue it with: synthsweep resume {tmp_path}"


def test_best_epoch_on_a_tie_is_the_one_whose_checkpoint_tune_kept(tmp_path):
    d = fake_trial_dir(tmp_path, "aaaaaaaa", 1, [])
    rows = [
        {"epoch": e, "val_auc": auc, "trial_id": "aaaaaaaa", "checkpoint_dir_name": f"checkpoint_{e - 1:06d}"}
        for e, auc in ((1, 0.6), (2, 0.6), (3, 0.5))
    ]
    (d / "result.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for e in (2, 3):  # Tune keeps the latest of equally scored checkpoints, and the latest
        (d / f"checkpoint_{e - 1:06d}").mkdir()
        (d / f"checkpoint_{e - 1:06d}" / "trial.json").write_text(json.dumps({"epoch": e}))
    (record,) = read_trials(tmp_path)
    assert record.best_row["epoch"] == 2 and record.best_checkpoint == d / "checkpoint_000001"


def test_a_checkpoint_handed_over_with_a_later_report_belongs_to_its_own_epoch(tmp_path):
    """search.checkpoint_interval_s: epoch 3's report carried the checkpoint of epoch 2, the best."""
    d = fake_trial_dir(tmp_path, "aaaaaaaa", 1, [])
    rows = [
        {"epoch": 1, "val_auc": 0.5, "trial_id": "aaaaaaaa"},
        {"epoch": 2, "val_auc": 0.7, "trial_id": "aaaaaaaa"},
        {"epoch": 3, "val_auc": 0.6, "trial_id": "aaaaaaaa", "checkpoint_dir_name": "checkpoint_000001"},
    ]
    (d / "result.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (d / "checkpoint_000001").mkdir()
    (d / "checkpoint_000001" / "trial.json").write_text(json.dumps({"epoch": 2, "finished_epochs": 3}))
    (record,) = read_trials(tmp_path)
    assert record.best_row["epoch"] == 2 and record.best_checkpoint == d / "checkpoint_000001"
    assert record.checkpoint_for(record.rows[-1]) is None  # it does not hold epoch 3


def test_a_sweep_recorded_before_the_checkpoint_interval_hands_each_checkpoint_at_once(tmp_path):
    """Its Tune state scores checkpoints by their own epoch's AUC: no checkpoint may wait for a later report."""
    import yaml

    from sweep import load_config
    from sweep.rundir import recorded_config

    run = tmp_path / "demo"
    run.mkdir()
    recorded = yaml.safe_load((REPO / "conf" / "demo.yaml").read_text())
    recorded.setdefault("search", {}).pop("checkpoint_interval_s", None)
    (run / "config.yaml").write_text(yaml.safe_dump(recorded))
    assert recorded_config(run).search.checkpoint_interval_s == 0.0
    recorded["search"]["checkpoint_interval_s"] = 5.0
    (run / "config.yaml").write_text(yaml.safe_dump(recorded))
    assert recorded_config(run).search.checkpoint_interval_s == 5.0
    assert load_config(REPO / "conf" / "demo.yaml").search.checkpoint_interval_s == 10.0
