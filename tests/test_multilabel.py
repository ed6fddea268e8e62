"""Label sets (``data.task: multilabel``): reading, stratified splits, units, metrics, the classifier's
loss and the verdict's bootstrap, each with known answers. The sweep itself runs in
``test_multilabel_integration.py``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from common import UserError
from sweep import load_config
from sweep.inputs import sweep_dataset
from sweep.inputs._labelsets import iterative_cut, label_units, parse_label_sets, per_label_rows, unit_texts
from sweep.verdict import bootstrap_deltas, conclusion, resampled_auc
from trainables import balanced_class_weights, classification_metrics, f1_thresholds, rarest_labels

from .conftest import REPO

CONF = REPO / "conf" / "multilabel.yaml"


def _label_sets(n=400, k=5, seed=0) -> np.ndarray:
    """Random label sets with label frequencies from 40% down to 3%."""
    rng = np.random.default_rng(seed)
    rates = np.linspace(0.4, 0.03, k)
    return (rng.random((n, k)) < rates).astype(int)


def test_label_cells_split_trim_and_allow_none():
    sets = parse_label_sets(["a;b", " b ; ", "", None, float("nan"), "c;a;a"], ";", None, "data.train", "f.tsv")
    assert sets == [("a", "b"), ("b",), (), (), (), ("c", "a")]
    with pytest.raises(UserError, match=r"data.train: row 2 of f.tsv has the label 'x', which data.labels leaves out"):
        parse_label_sets(["a", "a;x"], ";", ["a", "b"], "data.train", "f.tsv")


def test_iterative_cut_keeps_every_labels_share_and_one_on_each_side():
    y = _label_sets()
    kept, cut = iterative_cut(y, 0.25, np.random.default_rng(0))
    assert sorted([*kept, *cut]) == list(range(len(y))), "every text on exactly one side"
    assert abs(len(cut) - 100) <= 3
    share = y[cut].sum(axis=0) / y.sum(axis=0)
    assert np.all(np.abs(share - 0.25) < 0.1), share
    assert np.array_equal(iterative_cut(y, 0.25, np.random.default_rng(0))[1], cut), "the seed decides it"
    rare = np.zeros((20, 3), dtype=int)
    rare[:, 0] = 1
    rare[[3, 11], 1] = 1  # two texts: one must land on each side, whatever the fraction says
    kept, cut = iterative_cut(rare, 0.1, np.random.default_rng(1))
    assert rare[kept, 1].sum() == 1 and rare[cut, 1].sum() == 1


def test_per_label_rows_hold_k_of_every_label_or_name_the_short_one():
    y = _label_sets(seed=2)
    rows = per_label_rows(y, list("abcde"), 5, np.random.default_rng(0))
    assert (y[rows].sum(axis=0) >= 5).all() and len(rows) < len(y)
    with pytest.raises(UserError, match=r"data.per_label: label 'e' has \d+ training texts after the splits"):
        per_label_rows(y, list("abcde"), 500, np.random.default_rng(0))


def test_units_are_each_label_and_each_observed_set_shown_by_its_texts():
    y = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]])
    units = label_units(y, ["a", "b", "c"], ";")
    assert units == {"a": (0,), "b": (1,), "c": (2,), "a;b": (0, 1)}
    texts = list("uvwxyz")
    assert unit_texts(texts, y, (0, 1)) == ["v", "w"]
    assert unit_texts(texts, y, (0,)) == ["u"], "exactly its labels when such texts exist"
    only_with_others = np.array([[1, 1], [1, 1], [0, 1]])
    assert unit_texts(list("abc"), only_with_others, (0,)) == ["a", "b"], "else every text that carries it"


def test_the_shipped_label_sets_load_and_split_with_every_label_everywhere():
    data = sweep_dataset(load_config(CONF))
    assert data.multilabel and data.labels == ["contraception", "mental_health", "negative", "pain", "skin", "weight"]
    for split in (data.train, data.validation, data.test):
        assert split.y.shape[1] == 6 and (split.y.sum(axis=0) >= 1).all()
    assert 140 <= len(data.train) <= 150 and (data.train.y.sum(axis=1) == 0).any(), "texts without a label stay"
    assert data.positive_label is None


def test_a_label_too_rare_to_split_is_named_in_one_line_with_exit_2(tmp_path):
    bad = tmp_path / "bad.tsv"
    rows = ["review\tlabels"] + [f"text number {i} about a drug\t{'a' if i % 2 else 'b'}" for i in range(40)]
    rows.append("the only text with the rare label\ta;rare")
    bad.write_text("\n".join(rows) + "\n")
    args = ["--set", f"data.train={bad}", "--set", "data.test=null", "--set", "data.max_train=null"]
    proc = subprocess.run(
        [sys.executable, "-m", "sweep.cli", "run", str(CONF), *args], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "label 'rare' is too rare to split" in err[0], err
    assert "the only text" not in proc.stderr, "the text itself is never shown"


def test_a_label_outside_data_labels_names_its_row_with_exit_2(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("review\tlabels\nfirst\tpain\nsecond\tpain;tinnitus\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sweep.cli", "run", str(CONF), "--set", f"data.train={bad}", "--set",
         "data.labels=[pain, skin]"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert (
        proc.stderr.strip()
        == f"error: data.train: row 2 of {bad} has the label 'tinnitus', which data.labels leaves out"
    )


def test_settings_only_one_label_per_text_reads_are_refused_for_label_sets():
    with pytest.raises(UserError, match="quality.consistency_min_prob: the label-consistency filter is for one label"):
        load_config(CONF, ["quality.consistency_min_prob=0.5"])
    with pytest.raises(UserError, match="search.synthetic_labels: observed chooses label sets"):
        load_config(REPO / "conf" / "demo.yaml", ["search.synthetic_labels=[observed]"])


def test_label_set_metrics_match_scikit_learn():
    rng = np.random.default_rng(3)
    y = _label_sets(n=300, k=4, seed=3)
    probs = np.clip(y * 0.35 + rng.random(y.shape) * 0.65, 0, 1)
    m = classification_metrics(y, probs, list("abcd"))
    assert m["auc"] == pytest.approx(roc_auc_score(y, probs, average="macro"))
    pred = (probs >= 0.5).astype(int)
    assert m["f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    assert m["micro_f1"] == pytest.approx(f1_score(y, pred, average="micro", zero_division=0))
    assert m["exact_match"] == pytest.approx((pred == y).all(axis=1).mean())
    assert m["per_class"]["d"]["support"] == int(y[:, 3].sum())
    t = f1_thresholds(y, probs)
    tuned = classification_metrics(y, probs, list("abcd"), thresholds=t)
    assert tuned["f1_tuned"] >= m["f1"] - 1e-9, "thresholds chosen on these texts are at least as good here"
    assert tuned["f1_tuned"] == pytest.approx(f1_score(y, (probs >= t).astype(int), average="macro", zero_division=0))


def test_the_bootstrap_resamples_texts_with_their_label_sets():
    y = _label_sets(n=150, k=3, seed=4)
    rng = np.random.default_rng(4)
    probs = np.clip(y * 0.3 + rng.random(y.shape) * 0.7, 0, 1)
    idx = rng.integers(0, len(y), size=(5, len(y)))
    got = resampled_auc(y, probs, idx)
    for b in range(5):
        assert got[b] == pytest.approx(roc_auc_score(y[idx[b]], probs[idx[b]], average="macro"))
    assert resampled_auc(y, probs, idx, labels=[2])[0] == pytest.approx(roc_auc_score(y[idx[0], 2], probs[idx[0], 2]))


def test_a_real_lift_on_label_sets_reads_better_and_none_reads_no_evidence():
    """Positive control: an arm whose scores carry more signal on every label must read `better`.
    Negative control: an arm with the same signal and other noise must not claim a change."""
    y = _label_sets(n=400, k=4, seed=5)
    rng = np.random.default_rng(5)

    def scores(signal, seed):
        noise = np.random.default_rng(seed).normal(size=(3, *y.shape))
        return 1 / (1 + np.exp(-(signal * y[None] + noise)))

    arms = {"baseline": scores(0.8, 1), "lift": scores(1.6, 2), "same": scores(0.8, 3)}
    out = bootstrap_deltas(y, arms, "baseline", resamples=1000, seed=int(rng.integers(100)))
    assert conclusion(out["lift"]) == "better" and out["lift"].lo > 0
    assert conclusion(out["same"]) == "no evidence"


def test_rare_label_texts_weigh_more_and_the_rarest_quarter_is_named():
    y = np.array([[1, 0], [1, 0], [1, 0], [1, 1], [0, 0]])
    w = balanced_class_weights(y)
    assert w.mean() == pytest.approx(1.0) and w[3] > w[4] > w[0], "rare label > no label > common label"
    assert rarest_labels(_label_sets(k=8), 8) == [7, 6], "a quarter of 8: the two rarest"
    assert rarest_labels(np.array([0, 0, 1, 2, 2, 2]), 3) == [1], "one label per text: counted by class"


def test_a_head_classifier_learns_label_sets_with_one_sigmoid_per_label():
    from trainables import Repeats
    from trainables._params import ClassifierSettings

    rng = np.random.default_rng(6)
    y = _label_sets(n=300, k=3, seed=6)
    X = (y @ rng.normal(size=(3, 16)) + rng.normal(scale=0.5, size=(300, 16))).astype(np.float32)
    settings = ClassifierSettings("", "", "head", 40, 0.05, 32, 64, multilabel=True)
    clf = Repeats.build(settings, list("abc"), [0], 16, "cpu")
    w = np.ones(300, dtype=np.float32)
    for _ in range(40):
        clf.fit_epoch(X, y, w)
    (probs,) = clf.predict_proba(X)
    assert probs.shape == (300, 3) and not np.allclose(probs.sum(axis=1), 1.0), "sigmoids, not a softmax"
    assert classification_metrics(y, probs, list("abc"))["auc"] > 0.95


@pytest.mark.parametrize("mode", ["head", "lora", "full"])
def test_a_label_set_trial_trains_checkpoints_and_scores_again_in_every_mode(tiny_bert, tmp_path, mode):
    """A trial on label sets: synthetic examples carry their pool's set, the checkpoint records them
    as JSON lists, and the classifier rebuilt from it scores validation exactly as the trial did."""
    import json
    import shutil
    from dataclasses import replace

    import pandas as pd

    from trainables import TrialData, TrialParams, score_checkpoint
    from trainables.trainable import read_synthetic, run_trial

    from .conftest import DEMO_TRAIN, tiny_trial_settings
    from .fakes import FakePool

    df = pd.read_csv(DEMO_TRAIN, sep="\t").head(60)
    y = np.stack([(df.rating == "negative").to_numpy(), (df.condition == "Birth Control").to_numpy()], axis=1)
    y = y.astype(int).tolist()
    units = {"negative": [0], "contraception": [1], "contraception;negative": [0, 1]}
    labels = ["negative", "contraception"]
    data = TrialData(labels, df.review[:40].tolist(), y[:40], df.review[40:].tolist(), y[40:], units=units)
    settings = tiny_trial_settings(tiny_bert, tmp_path, mode)
    settings = replace(settings, classifier=replace(settings.classifier, multilabel=True))
    reports = []

    def report(metrics, ckpt):
        if ckpt is not None:
            shutil.copytree(ckpt, tmp_path / "ckpt", dirs_exist_ok=True)
        reports.append(metrics)

    run_trial(TrialParams(0.7, 6, 0.6, synthetic_labels="observed"), data, settings, FakePool(), report)
    m = reports[-1]
    assert {"val_micro_f1", "val_exact_match"} <= set(m) and set(m["val_per_class"]) == set(labels)
    synth = read_synthetic(tmp_path / "ckpt" / "synthetic.csv", labels, multilabel=True)
    assert synth.y.shape == (6, 2) and synth.y.sum() > 0
    assert json.loads((tmp_path / "ckpt" / "trial.json").read_text())["multilabel"] is True
    probs = score_checkpoint(tmp_path / "ckpt", data.val_texts)
    assert probs.shape == (20, 2)
    best = max(reports, key=lambda r: r["val_auc"])
    assert classification_metrics(np.array(data.val_y), probs, labels)["auc"] == pytest.approx(
        best["val_auc"], abs=1e-6
    )


def test_label_sets_print_their_f1_figures_beside_the_auc_and_one_label_tasks_do_not():
    from sweep.outputs._console import label_set_line

    from .fakes import fake_verdict

    plain = fake_verdict()
    assert label_set_line(plain) is None
    figures = {"micro_f1": 0.5, "exact_match": 0.25, "f1_tuned": 0.6, "f1": 0.4}
    arms = {name: arm.model_copy(update=figures) for name, arm in plain.arms.items()}
    line = label_set_line(plain.model_copy(update={"arms": arms}))
    assert line == (
        "label sets, baseline → best: micro F1 0.500 → 0.500; macro F1 0.400 → 0.400; "
        "macro F1 at thresholds chosen on validation 0.600 → 0.600; exact match 0.250 → 0.250"
    )
