"""The trainable's logic with a tiny random BERT built in the test and a fake pool fetcher."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from trainables import TrialData, TrialParams, mix_weights, score_checkpoint
from trainables._checkpoint import read_meta
from trainables.trainable import run_trial

from .conftest import demo_trial_data, tiny_trial_settings
from .fakes import FakePool, FakeShortPool


def test_params_from_flat_and_flattened_config():
    assert TrialParams.from_config({"temperature": 0.7000001, "n_synthetic": 12.0, "real_ratio": 0.6}) == TrialParams(
        0.7, 12, 0.6
    )
    assert TrialParams.from_config({"a/temperature": 0.5, "a/n_synthetic": 0, "a/real_ratio": 0.6}).real_ratio == 1.0
    with pytest.raises(KeyError):
        TrialParams.from_config({"temperature": 0.5})


def test_mix_weights_give_real_data_its_share():
    w = mix_weights(10, 40, 0.7)
    assert w[:10].sum() / w.sum() == pytest.approx(0.7)
    assert w.mean() == pytest.approx(1.0)
    assert (mix_weights(5, 0, 0.3) == 1).all()


@pytest.mark.parametrize("mode", ["head", "lora", "full"])
def test_trial_reports_every_epoch_and_checkpoint_reproduces_scores(tiny_bert, tmp_path, mode):
    data, fetch = demo_trial_data(), FakePool()
    reports = []

    def report(metrics, ckpt):
        saved = tmp_path / f"ckpt{metrics['epoch']}"
        if ckpt is not None:
            shutil.copytree(ckpt, saved)
        reports.append((metrics, saved if ckpt is not None else None))

    run_trial(TrialParams(0.7, 7, 0.6), data, tiny_trial_settings(tiny_bert, tmp_path, mode), fetch, report)
    assert [m["epoch"] for m, _ in reports] == [1, 2]
    assert sorted(n for _, _, n in fetch.calls) == [2, 2, 3]  # label-balanced 7
    m, ckpt = [(m, c) for m, c in reports if c is not None][-1]
    assert m["n_real"] == 18 and m["n_synthetic_used"] == 7 and m["synthetic_generated"] == 7
    assert 0.0 <= m["val_auc"] <= 1.0 and m["best_val_auc"] >= m["val_auc"]
    assert set(m["val_per_class"]) == set(data.labels)
    meta = json.loads((ckpt / "trial.json").read_text())
    assert meta["params"] == {"temperature": 0.7, "n_synthetic": 7, "real_ratio": 0.6, "generator": "default"}
    assert len(meta["synthetic_ids"]) == 7 and m["n_synthetic_used_by_label"] == {
        "negative": 3,
        "neutral": 2,
        "positive": 2,
    }
    assert (ckpt / "synthetic.csv").read_text().count("\n") == 8

    # The checkpoint rebuilt from disk scores validation exactly as the trial did.
    from trainables import classification_metrics

    probs = score_checkpoint(ckpt, data.val_texts)
    assert classification_metrics(np.array(data.val_y), probs, data.labels)["auc"] == pytest.approx(
        m["val_auc"], abs=1e-6
    )
    if mode == "head":
        cached = score_checkpoint(ckpt, data.val_texts, tmp_path / "features.sqlite")
        np.testing.assert_allclose(cached, probs, atol=1e-5)


def test_baseline_trial_asks_for_no_synthetic_data(tiny_bert, tmp_path):
    fetch = FakePool()
    reports = []
    run_trial(
        TrialParams(0.5, 0, 1.0),
        demo_trial_data(),
        tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=1),
        fetch,
        lambda m, c: reports.append(m),
    )
    assert fetch.calls == []
    assert reports[0]["n_synthetic_used"] == 0


def test_fresh_model_per_trial_same_init(tiny_bert, tmp_path):
    """Two trials with the same mix give the same result: nothing leaks between trials."""
    out = []
    for _ in range(2):
        reports: list[float] = []
        run_trial(
            TrialParams(0.7, 3, 0.8),
            demo_trial_data(),
            tiny_trial_settings(tiny_bert, tmp_path, "head", 3),
            FakePool(),
            lambda m, c, sink=reports: sink.append(m["val_auc"]),
        )
        out.append(reports)
    assert out[0] == out[1]


def test_trial_records_what_it_really_trained_on(tiny_bert, tmp_path):
    reports = []
    run_trial(
        TrialParams(0.7, 6, 0.6),
        demo_trial_data(),
        tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=1, repeats=3),
        FakeShortPool(),
        lambda m, c: reports.append((m, Path(shutil.copytree(c, tmp_path / "ck")))),
    )
    m, ckpt = reports[-1]
    assert m["n_synthetic_used"] == 3 and m["n_synthetic_used_by_label"] == {"negative": 1, "neutral": 1, "positive": 1}
    meta = json.loads((ckpt / "trial.json").read_text())
    assert len(meta["synthetic_ids"]) == 3 and meta["seeds"] == [0, 1, 2]
    # Three repeats, one seed each: their mean is the trial's score, their SD is recorded.
    assert len(m["val_auc_repeats"]) == 3 and m["val_auc"] == pytest.approx(np.mean(m["val_auc_repeats"]))
    assert m["val_auc_sd"] == pytest.approx(np.std(m["val_auc_repeats"], ddof=1))
    assert 0.6 <= m["real_share"] <= 1.0
    assert sorted(p.name for p in ckpt.glob("repeat_*")) == ["repeat_0", "repeat_1", "repeat_2"]


def test_a_resumed_trial_retrains_on_the_recorded_set(tiny_bert, tmp_path):
    """A retry or resume reads the checkpoint's synthetic.csv: same examples, no generator call."""
    first: list = []
    settings = tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=3)
    run_trial(TrialParams(0.7, 6, 0.6), demo_trial_data(), settings, FakePool(), lambda m, c: first.append(m))
    kept: list = []

    def stop_after_one(m, c):
        kept.append(Path(shutil.copytree(c, tmp_path / f"epoch{m['epoch']}")))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_trial(TrialParams(0.7, 6, 0.6), demo_trial_data(), settings, FakePool(), stop_after_one)
    never = FakePool()
    resumed: list = []
    run_trial(
        TrialParams(0.7, 6, 0.6),
        demo_trial_data(),
        settings,
        never,
        lambda m, c: resumed.append(m),
        resume_from=kept[0],
    )
    assert never.calls == []
    assert [m["epoch"] for m in resumed] == [2, 3]
    assert [m["val_auc"] for m in resumed] == [m["val_auc"] for m in first[1:]]
    assert resumed[-1]["synthetic_from_cache"] == resumed[-1]["n_synthetic_used"] == 6


def test_proportional_synthetic_labels_follow_the_real_split():
    from trainables.trainable import synthetic_counts

    data = TrialData(["a", "b"], ["w", "x", "y", "z"], [0, 0, 0, 1], [], [])
    assert synthetic_counts(TrialParams(0.7, 10, 0.8), data, "proportional") == {"a": 8, "b": 2}
    assert synthetic_counts(TrialParams(0.7, 10, 0.8), data, "balanced") == {"a": 5, "b": 5}
    rare = synthetic_counts(TrialParams(0.7, 10, 0.8), data, "rare_first")
    assert rare == {"a": 3, "b": 7}, "1/3 against 1/1: 2.5 and 7.5, the tie to the first label"


def test_label_sets_are_split_by_label_or_by_the_observed_sets():
    from trainables.trainable import fetch_synthetic, synthetic_counts

    y = [[1, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]]
    units = {"a": [0], "b": [1], "c": [2], "a;b": [0, 1]}
    data = TrialData(["a", "b", "c"], list("vwxyz"), y, [], [], units=units)
    params = TrialParams(0.7, 12, 0.8)
    assert synthetic_counts(params, data, "balanced") == {"a": 4, "b": 4, "c": 4}
    assert synthetic_counts(params, data, "observed") == {"a": 3, "a;b": 6, "c": 3}, "sets as the texts carry them"
    assert synthetic_counts(params, data, "rare_first") == {"a": 2, "b": 3, "c": 7}, "1/3, 1/2, 1/1"
    synth = fetch_synthetic(TrialParams(0.7, 12, 0.8, synthetic_labels="observed"), data, FakePool())
    assert synth.y.shape == (12, 3) and synth.y.sum(axis=0).tolist() == [9, 6, 3], "a;b rows carry both labels"


def test_with_no_interval_each_improving_epoch_is_checkpointed_at_once(tiny_bert, tmp_path):
    seen = []
    run_trial(
        TrialParams(0.7, 6, 0.6),
        demo_trial_data(),
        tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=8),
        FakePool(),
        lambda m, c: seen.append((m["epoch"], m["val_auc"], c is not None and read_meta(c))),
    )
    assert [e for e, _, _ in seen] == list(range(1, 9)), "every epoch is reported"
    best, best_epoch = -1.0, 0
    for epoch, auc, meta in seen[:-1]:
        assert (meta and meta["epoch"]) == (epoch if auc > best else False), (epoch, auc, best)
        best, best_epoch = (auc, epoch) if auc > best else (best, best_epoch)
    *_, (_, auc, meta) = seen
    # The last report carries the best epoch (this one if it improved), marked finished for resume.
    assert meta["epoch"] == (8 if auc > best else best_epoch) and meta["finished_epochs"] == 8


def test_within_the_interval_the_best_epoch_waits_for_the_last_report(tiny_bert, tmp_path):
    """Checkpoints at the first epoch and the end only; the last one holds the best epoch, scored by it."""
    seen = []
    settings = replace(tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=8), checkpoint_interval_s=3600.0)
    run_trial(
        TrialParams(0.7, 6, 0.6),
        demo_trial_data(),
        settings,
        FakePool(),
        lambda m, c: seen.append((m, c is not None and read_meta(c))),
    )
    assert [m["epoch"] for m, _ in seen] == list(range(1, 9)), "every epoch is still reported"
    handed = [(m, meta) for m, meta in seen if meta]
    aucs = [m["val_auc"] for m, _ in seen]
    assert [m["epoch"] for m, _ in handed] == [1, 8]
    assert handed[0][1]["epoch"] == 1
    # The first of tied epochs is the best: a tie is no improvement.
    assert handed[1][1]["epoch"] == aucs.index(max(aucs)) + 1 and handed[1][1]["finished_epochs"] == 8
    # Tune scores the checkpoint by the report's best-so-far AUC, which is the held epoch's own.
    assert handed[1][0]["best_val_auc"] == handed[1][1]["val_auc"] == max(aucs)


def test_every_reported_key_is_in_the_typed_row(tiny_bert, tmp_path):
    """EpochRow is the one description of a result row: what the trainable reports must be in it."""
    from generators import Reject
    from trainables import EpochRow

    rows = []
    run_trial(
        TrialParams(0.7, 4, 0.6),
        demo_trial_data(),
        tiny_trial_settings(tiny_bert, tmp_path, "head", epochs=1),
        FakePool(),
        lambda m, c: rows.append(m),
    )
    assert set(rows[0]) <= set(EpochRow.__annotations__), set(rows[0]) - set(EpochRow.__annotations__)
    assert {f"rejected_{r}" for r in Reject.ALL} <= set(EpochRow.__annotations__)


@pytest.mark.parametrize("k", [2, 3])
def test_metrics_match_scikit_learn_with_ties_and_absent_classes(k):
    """The trial's numpy metrics (no scikit-learn import in a trial worker) give scikit-learn's figures."""
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    from trainables import classification_metrics

    rng = np.random.default_rng(k)
    labels = [f"c{i}" for i in range(k)]
    for trial in range(20):
        n = int(rng.integers(6, 40))
        y = rng.integers(0, k - 1 if trial % 4 == 0 and k == 3 else k, size=n)  # a class absent now and then
        if len(set(y.tolist())) < 2:
            continue
        probs = rng.dirichlet(np.ones(k), size=n).round(1)  # rounding makes tied scores
        got = classification_metrics(y, probs, labels, positive=1 if k == 2 else None)
        present = sorted(set(y.tolist()))
        if k == 2:
            want_auc = roc_auc_score(y, probs[:, 1])
        else:
            want_auc = np.mean([roc_auc_score((y == c).astype(int), probs[:, c]) for c in present])
        assert got["auc"] == pytest.approx(want_auc)
        pred = probs.argmax(axis=1)
        p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(range(k)), zero_division=0)
        mp, mr, mf, _ = precision_recall_fscore_support(y, pred, labels=present, average="macro", zero_division=0)
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((mp, mr, mf))
        for i, lab in enumerate(labels):
            row = got["per_class"][lab]
            want = (p[i], r[i], f[i], s[i])
            assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(want)
        if k == 2:
            assert got["positive_recall"] == pytest.approx(r[1])


def test_average_ranks_and_row_aucs_match_scipy_exactly():
    """One rank-based AUC for trials and the verdict's bootstrap: scipy's ranks, bit for bit."""
    from scipy.stats import rankdata

    from trainables import binary_auc_rows
    from trainables._metrics import average_ranks

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 7, size=(50, 31)) / 7.0  # many ties
    positive = rng.random((50, 31)) < 0.4
    positive[0] = False  # a row without positives: NaN
    assert np.array_equal(average_ranks(scores), rankdata(scores, axis=1, method="average"))
    ranks = rankdata(scores, axis=1, method="average")
    n_pos = positive.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = ((ranks * positive).sum(axis=1) - n_pos * (n_pos + 1) / 2.0) / (n_pos * (31 - n_pos))
    assert np.array_equal(binary_auc_rows(positive, scores), want, equal_nan=True)
