"""A trial has one number everywhere: the trial lines of ``run``, ``status``, the summary, the report
and ``export --trial``, which also takes its id."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sweep import UserError
from sweep.outputs import find_trial
from sweep.outputs._plots import history_axes
from sweep.rundir import read_trials
from sweep.search import trial_line, trial_number

from .fakes import fake_trial_dir as _trial_dir


@pytest.fixture
def records(tmp_path):
    _trial_dir(tmp_path, "f461523b", 1, [1, 2])
    _trial_dir(tmp_path, "3c2e9a10", 2, [1, 2, 3])
    _trial_dir(tmp_path, "3c000000", 3, [1])
    return read_trials(tmp_path)


def test_export_takes_the_number_run_and_status_show(records):
    assert find_trial(records, "3").trial_id == "3c000000"
    assert find_trial(records, "1").trial_id == "f461523b"


def test_export_still_takes_an_id_or_a_unique_prefix(records):
    assert find_trial(records, "3c2e9a10").number == 2
    assert find_trial(records, "f46").number == 1
    assert find_trial(records, "3c000000").number == 3


def test_an_unknown_trial_lists_numbers_and_ids(records):
    with pytest.raises(UserError) as e:
        find_trial(records, "7")
    assert str(e.value) == "--trial '7' is not a trial of this run (trials: 1 (f461523b), 2 (3c2e9a10), 3 (3c000000))"
    with pytest.raises(UserError, match=r"^--trial '3c' matches several trials"):
        find_trial(records, "3c")


def test_trial_lines_show_the_trial_number_not_the_finished_count():
    trial = SimpleNamespace(experiment_tag="4_n_synthetic=6,real_ratio=0.8,temperature=0.9")
    assert trial_number(trial, fallback=2) == 4
    assert trial_number(SimpleNamespace(), fallback=2) == 2
    config = {"temperature": 0.9, "n_synthetic": 6, "real_ratio": 0.8}
    line = trial_line(4, 8, config, {"best_val_auc": 0.5, "epoch": 3}, done=2)
    assert line.startswith("trial 4 (2/8 done): temperature=0.9 n_synthetic=6 real_ratio=0.80 -> best val AUC 0.500")


def test_the_report_history_counts_trials_as_the_tables_do(records):
    import matplotlib.pyplot as plt

    ax = history_axes(records)
    xs = [float(x) for x in ax.collections[0].get_offsets()[:, 0]]
    assert xs == [1.0, 2.0, 3.0]
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_xlabel() == "trial"
    plt.close(ax.figure)
