"""The verdict's parts: bootstrap intervals with known answers, the weight cap, controls, pooling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sweep.verdict import Interval, bootstrap_deltas, conclusion, eda_texts, oversample, resampled_auc
from trainables import TrainingMix, balanced_class_weights, classification_metrics, mix_weights


def _binary(n=300, seed=0, signal=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = y * signal + rng.normal(size=n)
    p1 = 1 / (1 + np.exp(-score))
    return y, np.stack([1 - p1, p1], axis=1)


def test_identical_arms_differ_by_exactly_zero():
    y, probs = _binary()
    arms = {"baseline": np.stack([probs] * 3), "same": np.stack([probs] * 3)}
    out = bootstrap_deltas(y, arms, "baseline", resamples=1000)
    assert out["same"] == Interval(0.0, 0.0, 0.0)
    assert conclusion(out["same"]) == "no evidence"


def test_perfect_against_uninformative_is_exactly_one_half():
    y, _ = _binary()
    perfect = np.stack([1.0 - y, y.astype(float)], axis=1)
    constant = np.full((len(y), 2), 0.5)
    out = bootstrap_deltas(y, {"baseline": constant[None], "perfect": perfect[None]}, "baseline", resamples=1000)
    assert out["perfect"].mean == pytest.approx(0.5)
    assert out["perfect"].lo == pytest.approx(0.5) and out["perfect"].hi == pytest.approx(0.5)
    assert conclusion(out["perfect"]) == "better"


@pytest.mark.parametrize("k", [2, 3])
def test_rank_auc_matches_sklearn_on_each_resample(k):
    rng = np.random.default_rng(1)
    y = rng.integers(0, k, 120)
    probs = rng.dirichlet(np.ones(k), size=120)
    probs[np.arange(120), y] += 0.3  # some signal
    probs /= probs.sum(1, keepdims=True)
    idx = rng.integers(0, 120, size=(20, 120))
    fast = resampled_auc(y, probs, idx)
    for b in range(20):
        yb, pb = y[idx[b]], probs[idx[b]]
        if k == 2:
            want = roc_auc_score(yb, pb[:, 1])
        else:
            want = np.mean([roc_auc_score(yb == c, pb[:, c]) for c in np.unique(yb)])
        assert fast[b] == pytest.approx(want, abs=1e-12)


def _delong_paired_se(y, a, b):
    """DeLong et al. (1988) standard error of AUC(a) - AUC(b) on the same examples."""
    pos, neg = a[y == 1], a[y == 0]

    def components(s):
        sp, sn = s[y == 1], s[y == 0]
        v10 = np.array([np.mean((x > sn) + 0.5 * (x == sn)) for x in sp])
        v01 = np.array([np.mean((sp > x) + 0.5 * (sp == x)) for x in sn])
        return v10, v01

    a10, a01 = components(a)
    b10, b01 = components(b)
    s10 = np.cov(np.stack([a10, b10]))
    s01 = np.cov(np.stack([a01, b01]))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / len(pos) + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / len(neg)
    return float(np.sqrt(var))


def test_interval_agrees_with_delong_for_one_seed():
    """Known answer: with one seed the bootstrap interval is the test-sampling interval, which DeLong's
    paired variance gives in closed form (normal approximation)."""
    y, strong = _binary(n=400, seed=3, signal=1.5)
    rng = np.random.default_rng(4)
    weak_score = strong[:, 1] + rng.normal(scale=0.35, size=len(y))
    weak = np.stack([1 - weak_score, weak_score], axis=1)
    out = bootstrap_deltas(y, {"baseline": weak[None], "strong": strong[None]}, "baseline", resamples=4000)
    se = _delong_paired_se(y, strong[:, 1], weak[:, 1])
    d = out["strong"]
    assert d.mean == pytest.approx(roc_auc_score(y, strong[:, 1]) - roc_auc_score(y, weak[:, 1]))
    assert (d.hi - d.lo) == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert d.lo < d.mean < d.hi


def test_seed_noise_widens_the_interval():
    """Two arms that differ only by seed noise: resampling seeds keeps 'no evidence' honest."""
    y, base = _binary(n=300, seed=5)
    rng = np.random.default_rng(6)
    noisy = [base + rng.normal(scale=0.05, size=base.shape) for _ in range(5)]
    other = [base + rng.normal(scale=0.05, size=base.shape) for _ in range(5)]
    out = bootstrap_deltas(y, {"baseline": np.stack(noisy), "other": np.stack(other)}, "baseline", resamples=2000)
    assert out["other"].lo < 0 < out["other"].hi
    assert conclusion(out["other"]) == "no evidence"


def test_conclusions():
    assert conclusion(Interval(0.02, 0.001, 0.04)) == "better"
    assert conclusion(Interval(-0.02, -0.04, -0.001)) == "worse"
    assert conclusion(Interval(0.01, -0.001, 0.02)) == "no evidence"


def test_weight_cap_limits_a_synthetic_text_to_a_real_texts_weight():
    # real_ratio 0.5 with 6 synthetic among 84 real: uncapped, a synthetic text weighs 14 real ones.
    w = mix_weights(84, 6, 0.5)
    assert w[-1] / w[0] == pytest.approx(14.0)
    capped = mix_weights(84, 6, 0.5, max_synthetic_weight=1.0)
    assert capped[-1] / capped[0] == pytest.approx(1.0)
    assert capped.mean() == pytest.approx(1.0)
    mix = TrainingMix.build(["r"] * 84, [0] * 84, ["s"] * 6, [1] * 6, 0.5, 1.0)
    assert mix.real_share == pytest.approx(84 / 90)
    # Below the cap the asked-for share holds.
    assert TrainingMix.build(["r"] * 10, [0] * 10, ["s"] * 40, [1] * 40, 0.7, 1.0).real_share == pytest.approx(0.7)


def test_zero_weight_synthetic_examples_are_left_out():
    real = TrainingMix.build(["a", "b"], [0, 1])
    mix = TrainingMix.build(["a", "b"], [0, 1], ["s1", "s2"], [0, 1], real_ratio=1.0)
    assert mix.texts == real.texts and mix.n_added == 0
    np.testing.assert_array_equal(mix.weights, real.weights)
    np.testing.assert_array_equal(mix.y, real.y)


def test_balanced_class_weights_equalise_class_totals():
    y = np.array([0, 0, 0, 1])
    w = balanced_class_weights(y)
    assert w[:3].sum() == pytest.approx(w[3:].sum()) and w.mean() == pytest.approx(1.0)


def test_positive_class_metrics_and_macro_over_present_classes():
    y = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    m = classification_metrics(y, probs, ["negative", "positive"], positive=0)
    assert m["positive_precision"] == pytest.approx(0.5) and m["positive_recall"] == pytest.approx(0.5)
    # Three labels, one absent from the scored split: the macro figures average the two present.
    y3 = np.array([0, 0, 2, 2])
    p3 = np.array([[0.8, 0.1, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    m3 = classification_metrics(y3, p3, ["a", "b", "c"])
    assert m3["recall"] == pytest.approx(1.0) and m3["precision"] == pytest.approx(1.0)


def test_controls_match_counts_per_label_and_are_seeded():
    texts = [f"real text number {i} about a drug" for i in range(10)]
    y = [0] * 6 + [1] * 4
    t1, y1 = oversample(texts, y, {0: 3, 1: 2}, seed=1)
    assert sorted(y1) == [0, 0, 0, 1, 1] and set(t1) <= set(texts)
    e1, ey1 = eda_texts(texts, y, {0: 3, 1: 2}, seed=1)
    e2, _ = eda_texts(texts, y, {0: 3, 1: 2}, seed=1)
    assert e1 == e2 and sorted(ey1) == [0, 0, 0, 1, 1]
    assert all(t not in texts for t in e1), "every EDA copy is edited"
    vocab = {w for t in texts for w in t.split()}
    assert all(set(t.split()) <= vocab for t in e1), "inserted words come from the training vocabulary"


def test_head_mode_reads_the_encoders_pooling(tmp_path):
    from common import resolve_classifier_model
    from trainables import read_pooling

    assert read_pooling(resolve_classifier_model("minilm-l6")) == ("mean", True)
    assert read_pooling(tmp_path) == ("mean", False), "mean pooling for an encoder without a sentence config"
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert read_pooling(tmp_path) == ("cls", False)


def test_verdict_sentence_names_intervals_and_the_shift():
    from sweep import load_config
    from sweep.verdict import verdict_sentence

    cfg = load_config(Path(__file__).resolve().parents[1] / "conf" / "demo.yaml")

    from .fakes import fake_arm, fake_verdict

    def arm(mean, lo, hi, concl, recall=0.5, precision=0.5):
        params = {"temperature": 0.9, "n_synthetic": 18, "real_share": 0.82, "generator": "default"}
        return fake_arm(mean, lo, hi, concl, positive_recall=recall, positive_precision=precision, params=params)

    verdict = fake_verdict(
        baseline=arm(0, 0, 0, "reference"),
        reweighted=arm(0.001, -0.01, 0.012, "no evidence"),
        oversample=arm(0.004, -0.010, 0.018, "no evidence"),
        eda=arm(-0.002, -0.02, 0.01, "no evidence"),
        best=arm(-0.021, -0.048, 0.006, "no evidence", recall=0.63, precision=0.34),
    )
    s = verdict_sentence(verdict, cfg)
    assert s.startswith(
        "Synthetic data (smollm2-135m-instruct, T 0.9, 18 examples, real share 0.82) changed test AUC by "
        "\u22120.021 [\u22120.048, +0.006] against no augmentation: no evidence that it helps."
    )
    assert "Oversampling: +0.004 [\u22120.010, +0.018]" in s
    assert "A cheap control did at least as well" in s
    assert "Recall of negative +0.130, precision \u22120.160." in s
