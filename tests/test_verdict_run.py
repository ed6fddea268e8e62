"""The verdict itself: which arms it trains on what (``build_arms``) and what ``run_verdict`` returns,
on a tiny random BERT in head mode (the statistics are tested in test_verdict.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sweep.config import SweepConfig
from sweep.inputs import Dataset, Split
from sweep.rundir import Selection, read_trials
from sweep.verdict import (
    ARM_WORDS,
    AUGMENTATION_ARMS,
    LABEL_ARMS,
    METHOD_ARMS,
    Conclusion,
    Verdict,
    build_arms,
    run_verdict,
)

from .conftest import DEMO_TRAIN, demo_trial_data
from .fakes import fake_run

SYNTHETIC = [
    ("negative", "awful pain and nausea after the first dose"),
    ("negative", "terrible headache, stopped taking it"),
    ("neutral", "some mild changes, unsure it works"),
    ("positive", "great relief, it works and I feel better"),
    ("positive", "wonderful, helped my back pain"),
]


def _data() -> Dataset:
    """Six training, four validation and eight test reviews per class, no review in two splits."""
    import pandas as pd

    d = demo_trial_data(n_per_class=6)
    df = pd.read_csv(DEMO_TRAIN, sep="\t")
    seen = set(d.train_texts) | set(d.val_texts)
    test = df[~df.review.isin(seen)].groupby("rating").head(8)
    return Dataset(
        labels=d.labels,
        train=Split(d.train_texts, np.array(d.train_y)),
        validation=Split(d.val_texts, np.array(d.val_y)),
        test=Split(test.review.tolist(), np.array([d.labels.index(x) for x in test.rating])),
        files={},
    )


def _cfg(tmp_path, **over) -> SweepConfig:
    return SweepConfig.model_validate(
        {
            "data": {"train": "x.csv"},
            "storage": str(tmp_path),
            "classifier": {"epochs": 2, "mode": "head"},
            "eval": {"verdict_seeds": 2, "bootstrap": 1000},
            "search": {"max_synthetic_weight": 1.0},
            **over,
        }
    )


@pytest.fixture
def best(tmp_path):
    fake_run(tmp_path / "run", [SYNTHETIC])
    (record,) = read_trials(tmp_path / "run")
    return record


def _settings(tiny_bert):
    from trainables import ClassifierSettings

    return ClassifierSettings(
        path=str(tiny_bert), hash="tiny", mode="head", epochs=2, learning_rate=1e-2, batch_size=8, max_length=32
    )


def test_without_a_synthetic_trial_only_the_real_data_arms_are_built(tmp_path):
    from dataclasses import replace

    data = _data()
    keep = np.flatnonzero((data.train.y != 0) | (np.cumsum(data.train.y == 0) <= 3))  # three of class 0
    data = replace(data, train=Split([data.train.texts[i] for i in keep], data.train.y[keep]))
    arms = build_arms(_cfg(tmp_path, eval={"verdict_seeds": 2, "label_curve": False}), data, None)
    assert [a.name for a in arms] == ["baseline", "reweighted"]
    base, reweighted = arms
    assert base.texts == reweighted.texts and np.allclose(base.weights, 1.0)
    totals = np.bincount(reweighted.y, weights=reweighted.weights)
    assert np.allclose(totals, totals[0]) and not np.allclose(reweighted.weights, 1.0), "each class weighs the same"


def test_the_controls_match_the_best_trials_counts_per_label(tmp_path, best):
    data = _data()
    arms = {a.name: a for a in build_arms(_cfg(tmp_path), data, best)}
    assert list(arms) == [a for a in ARM_WORDS if a not in METHOD_ARMS]
    n_real = len(data.train)
    wanted = np.bincount([data.labels.index(lab) for lab, _ in SYNTHETIC], minlength=3)
    for name in ("oversample", "eda", "best"):
        added = arms[name].y[n_real:]
        assert np.array_equal(np.bincount(added, minlength=3), wanted), name
        assert arms[name].params["n_synthetic"] == len(SYNTHETIC)
    assert arms["best"].texts[n_real:] == [t for _, t in SYNTHETIC], "the trial's exact synthetic set"
    assert arms["best"].params["trial_id"] == best.trial_id and arms["best"].params["real_ratio"] == 0.8
    assert arms["best"].weights[n_real:].max() <= 1.0 + 1e-9, "no synthetic text outweighs a real one"


def test_each_searched_method_gets_an_arm_of_its_best_trial(tmp_path, best):
    data = _data()
    arms = {a.name: a for a in build_arms(_cfg(tmp_path), data, best, {"generate": best, "paraphrase": best})}
    assert list(arms)[-3:] == ["best", "generate", "paraphrase"]
    assert arms["paraphrase"].texts == arms["best"].texts and arms["paraphrase"].params["trial_id"] == best.trial_id


def test_each_label_arm_trains_every_seed_on_its_own_stratified_share(tmp_path):
    data = _data()
    arms = {a.name: a for a in build_arms(_cfg(tmp_path), data, None)}
    for name, share in LABEL_ARMS.items():
        arm = arms[name]
        assert arm.texts == arms["baseline"].texts and arm.subsets is not None and len(arm.subsets) == 2
        for idx in arm.subsets:
            assert len(set(idx.tolist())) == len(idx), "without replacement"
            counts = np.bincount(data.train.y[idx], minlength=3)
            assert counts.tolist() == [max(1, int(share * 6 + 0.5))] * 3, name
        assert not np.array_equal(*arm.subsets), "each seed draws its own share"
    again = {a.name: a for a in build_arms(_cfg(tmp_path), data, None)}
    assert all(np.array_equal(a, b) for a, b in zip(again["labels_50"].subsets, arms["labels_50"].subsets))


def test_run_verdict_returns_a_typed_verdict_and_is_repeatable(tmp_path, tiny_bert, best):
    cfg, data = _cfg(tmp_path), _data()
    selection = Selection(baseline=None, best=best, leader=best)
    first = run_verdict(cfg, data, _settings(tiny_bert), selection)
    assert isinstance(first, Verdict) and list(first.arms) == [a for a in ARM_WORDS if a not in METHOD_ARMS]
    assert first.baseline.conclusion == Conclusion.REFERENCE and first.baseline.delta_auc.mean == 0.0
    assert first.conclusion == first.arms["best"].conclusion != Conclusion.REFERENCE
    assert first.seed_values == [1000, 1001] and first.n_test == len(data.test)
    for arm in first.arms.values():
        lo, hi = arm.delta_auc.ci95
        assert lo <= arm.delta_auc.mean <= hi and 1 <= arm.epoch <= 2
    assert first.sentence.startswith("Synthetic data (smollm2-135m-instruct, T 0.7, 5 examples")
    # The tiny random BERT's arms may all score alike on 24 texts: then no difference varies and
    # the test split's power cannot be read from them (None, and the sentence says nothing of it).
    varies = any(a.delta_auc.ci95[1] > a.delta_auc.ci95[0] for n, a in first.arms.items() if n != "baseline")
    assert (first.detectable_delta is not None and first.detectable_delta > 0) == varies
    assert ("can detect changes" in first.sentence) == varies
    assert first.labels is not None and first.labels.n_per_label == [2.0, 3.0, 5.0, 6.0]
    for name in (a for a in AUGMENTATION_ARMS if a not in METHOD_ARMS):
        worth = first.arms[name].worth_labels_per_label
        assert worth is not None and worth.ci95[0] <= worth.ci95[1], name
    assert all(first.arms[name].worth_labels_per_label is None for name in ["baseline", *LABEL_ARMS])
    again = run_verdict(cfg, data, _settings(tiny_bert), selection)
    assert again.model_dump(exclude={"verdict_s"}) == first.model_dump(exclude={"verdict_s"})


def test_run_verdict_without_a_synthetic_trial_says_there_is_nothing_to_compare(tmp_path, tiny_bert):
    verdict = run_verdict(_cfg(tmp_path), _data(), _settings(tiny_bert), Selection(None, None, None))
    assert list(verdict.arms) == ["baseline", *LABEL_ARMS, "reweighted"] and verdict.best is None
    assert verdict.detectable_delta is None and verdict.labels is not None
    assert verdict.conclusion == Conclusion.NO_SYNTHETIC
    assert verdict.sentence.startswith("No trial with synthetic data finished")
