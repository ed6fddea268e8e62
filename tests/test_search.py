"""The searcher: the baseline first and outside Optuna's space; Optuna learns what trials really used."""

from __future__ import annotations

import pytest

from sweep import load_config
from sweep.config import SearchSpace, search_plan
from sweep.search import tune_space

from .conftest import REPO

DEMO = REPO / "conf" / "demo.yaml"


def _searcher(cfg):
    from optuna.samplers import TPESampler

    from sweep.search._searcher import SweepSearch

    s = SweepSearch(
        metric="best_val_auc",
        mode="max",
        sampler=TPESampler(seed=0, n_startup_trials=cfg.search.random_trials()),
        baseline=SearchSpace.from_config(cfg).baseline,
    )
    assert s.set_search_properties("best_val_auc", "max", tune_space(SearchSpace.from_config(cfg)))
    return s


def test_only_the_first_trial_is_the_baseline():
    cfg = load_config(DEMO, ["search.num_samples=12"])
    s = _searcher(cfg)
    first = s.suggest("t0")
    assert first["n_synthetic"] == 0
    later = [s.suggest(f"t{i}")["n_synthetic"] for i in range(1, 12)]
    assert min(later) >= cfg.search.n_synthetic_step and all(n % cfg.search.n_synthetic_step == 0 for n in later)
    # Optuna never saw the baseline: it holds the eleven synthetic trials only.
    assert len(s._ot_study.trials) == 11
    s.on_trial_complete("t0", {"best_val_auc": 0.7, "n_synthetic_used": 0})  # ignored, no KeyError


def test_optuna_is_told_what_the_trial_trained_with():
    cfg = load_config(DEMO)
    s = _searcher(cfg)
    s.suggest("base")
    asked = s.suggest("t1")
    s.on_trial_complete("t1", {"best_val_auc": 0.71, "n_synthetic_used": asked["n_synthetic"] - 1, "real_share": 0.97})
    done = [t for t in s._ot_study.trials if t.state.name == "COMPLETE"]
    assert len(done) == 1
    assert done[0].params["n_synthetic"] == asked["n_synthetic"] - 1 and done[0].params["real_ratio"] == 0.97
    assert done[0].value == pytest.approx(0.71)


def test_the_run_says_how_many_trials_are_random_and_guided():
    cfg = load_config(DEMO, ["search.num_samples=8"])
    assert (
        search_plan(cfg.search)
        == "search: 8 trials; trial 1 is the baseline (no synthetic data), 4 random (TPE start-up), 3 guided by TPE"
    )
    cfg = load_config(DEMO, ["search.num_samples=8", "search.startup_trials=2"])
    assert "2 random (TPE start-up), 5 guided by TPE" in search_plan(cfg.search)


def test_a_resumed_trial_does_not_report_a_step_twice(recwarn):
    cfg = load_config(DEMO)
    s = _searcher(cfg)
    s.suggest("base")
    s.suggest("t1")
    for step in (1, 2, 3, 2, 3, 4):  # resumed from the checkpoint of step 1: steps 2 and 3 again
        s.on_trial_result("t1", {"best_val_auc": 0.7, "training_iteration": step})
    assert not [w for w in recwarn if "already reported" in str(w.message)]


def test_the_search_space_is_one_source_for_tune_the_report_and_the_trial():
    """Tune samples, the report's rebuilt study holds and a trial snaps to the same dimensions and grids."""
    from trainables import DIMENSIONS, TrialParams

    cfg = load_config(DEMO, ["search.consistency_min_prob=[0.3, 0.6]"])
    space = SearchSpace.from_config(cfg)
    tune = tune_space(space)
    searched = {r.name for r in space.searched()}
    assert searched == {"temperature", "n_synthetic", "real_ratio", "consistency_min_prob"}
    assert set(space.distributions()) == searched and set(tune) == set(space.ranges)
    report = space.distributions(grid=False, with_baseline=True)
    assert report["n_synthetic"].low == 0, "the report's study holds the baseline"
    assert tune["temperature"].get_sampler().q == DIMENSIONS["temperature"].step == space.ranges["temperature"].step
    assert tune["consistency_min_prob"].get_sampler().q == DIMENSIONS["consistency_min_prob"].step
    trial = TrialParams.from_config(
        {"temperature": 0.7999999, "n_synthetic": 12.0, "real_ratio": 0.9, "consistency_min_prob": 0.45000001}
    )
    assert (trial.temperature, trial.consistency_min_prob) == (0.8, 0.45)
    assert all(space.distributions()[k]._contains(v) for k, v in trial.to_dict().items() if k in searched)
