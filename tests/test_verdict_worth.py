"""The detectable change, the real-label curve and the worth in real labels, on scores whose truth is known.

Scores are binormal: an example of class 1 scores ``d`` higher on average than one of class 0, so
the AUC is Phi(d / sqrt 2). Arms share each example's latent score (two classifiers trained on the
same data agree on the hard examples) and differ by their own noise per seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweep.verdict import (
    BASELINE,
    DETECTABLE_FACTOR,
    LABEL_ARMS,
    WORTH_CAP,
    Replicates,
    bootstrap_replicates,
    conclusion,
    detectable_delta,
    detectable_words,
    fit_log,
    intervals,
    label_curve,
    labels_equivalent,
    labels_sentence,
)

N_FULL = 40.0
N = {"labels_25": 10.0, "labels_50": 20.0, "labels_75": 30.0, BASELINE: N_FULL}


def _probs(d: np.ndarray, latent: np.ndarray, y: np.ndarray, seeds: int, rng, noise: float = 0.3) -> np.ndarray:
    """(seeds, n, 2) probabilities with separation ``d`` (one per seed or one for all)."""
    out = []
    for s in range(seeds):
        score = latent + np.asarray(d).reshape(-1)[s % np.size(d)] * y + noise * rng.standard_normal(len(y))
        p1 = 1.0 / (1.0 + np.exp(-score))
        out.append(np.stack([1 - p1, p1], axis=1))
    return np.stack(out)


def _separation(n: float) -> float:
    """A learning curve: separation grows with the log of the labels per label."""
    return 0.4 + 0.35 * math.log(n / 10.0)


def _scored(arms_d: dict[str, float], n_test: int = 1500, seeds: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (np.arange(n_test) % 2).astype(int)
    latent = rng.standard_normal(n_test)
    probs = {name: _probs(np.array([d]), latent, y, seeds, rng) for name, d in arms_d.items()}
    return y, probs


def test_fit_log_recovers_a_log_curve():
    n = np.array([10.0, 20.0, 30.0, 40.0])
    auc = (0.6 + 0.05 * np.log(n))[:, None] * np.ones((1, 3))
    a, b = fit_log(n, auc)
    assert np.allclose(a, 0.6) and np.allclose(b, 0.05)


def test_labels_equivalent_interpolates_inside_and_extrapolates_outside():
    n = np.array([10.0, 20.0, 30.0, 40.0])
    auc = np.array([0.60, 0.66, 0.70, 0.72])
    assert labels_equivalent(0.68, n, auc, 0.08) == (pytest.approx(25.0), False)
    assert labels_equivalent(0.72, n, auc, 0.08) == (pytest.approx(40.0), False), "the baseline is worth 0"
    above, extrapolated = labels_equivalent(0.72 + 0.08 * math.log(1.5), n, auc, 0.08)
    assert above == pytest.approx(60.0) and extrapolated
    assert labels_equivalent(0.80, n, auc, -0.01) == (40.0 * (1 + WORTH_CAP), True), "a flat curve: the cap"
    assert labels_equivalent(0.80, n, auc, 1e-9)[0] == 40.0 * (1 + WORTH_CAP), "an almost flat one too"
    below, extrapolated = labels_equivalent(0.55, n, auc, 0.08)
    assert below < 10.0 and extrapolated


def test_a_dip_in_the_curve_never_turns_a_gain_into_a_negative_worth():
    n = np.array([10.0, 20.0, 30.0, 40.0])
    auc = np.array([0.60, 0.74, 0.70, 0.72])  # the 50% share happened to beat the full baseline
    n_eq, _ = labels_equivalent(0.73, n, auc, 0.05)
    assert n_eq > 40.0


def test_detectable_delta_is_2_8_bootstrap_standard_errors():
    boot = np.random.default_rng(1).normal(0.0, 0.01, size=(2, 20_000))
    rep = Replicates({"a": 0.7, "b": 0.7}, {"a": boot[0], "b": boot[1]})
    assert DETECTABLE_FACTOR == pytest.approx(2.80, abs=0.005)
    assert detectable_delta(rep, "b", "a") == pytest.approx(2.80 * 0.01 * math.sqrt(2), rel=0.03)
    # An arm identical to the reference (zero synthetic weight) says nothing about the test split:
    # the other arms' differences stand in, rather than "it can detect changes of 0".
    same = Replicates({"a": 0.7, "b": 0.7, "c": 0.7}, {"a": boot[0], "b": boot[0].copy(), "c": boot[1]})
    assert detectable_delta(same, "b", "a") == pytest.approx(2.80 * 0.01 * math.sqrt(2), rel=0.03)
    alone = Replicates({"a": 0.7, "b": 0.7}, {"a": boot[0], "b": boot[0].copy()})
    assert detectable_delta(alone, "b", "a") is None


def test_a_lift_of_twice_the_detectable_change_is_found_and_no_lift_is_not():
    """Positive and negative control of the verdict's test on the real bootstrap."""
    y, probs = _scored({BASELINE: 1.2, "same": 1.2, "lifted": 1.2}, n_test=600)
    rep = bootstrap_replicates(y, probs, resamples=2000, seed=3)
    mdc = detectable_delta(rep, "same", BASELINE)
    assert 0.005 < mdc < 0.05
    y, probs = _scored({BASELINE: 1.2, "same": 1.2, "lifted": 1.2 + 0.3}, n_test=600)
    rep = bootstrap_replicates(y, probs, resamples=2000, seed=3)
    found = intervals(rep, BASELINE)
    assert found["lifted"].mean > 2 * mdc, "the simulated lift is well above what the test can see"
    assert conclusion(found["lifted"]).value == "better"
    assert conclusion(found["same"]).value == "no evidence"


def test_worth_in_real_labels_of_a_known_lift_and_of_none():
    arms = {name: _separation(n) for name, n in N.items()}
    arms["best"] = _separation(1.5 * N_FULL)  # as good as 50% more real labels: worth +20 per label
    arms["eda"] = _separation(N_FULL)  # no better than the baseline
    y, probs = _scored(arms, n_test=3000)
    rep = bootstrap_replicates(y, probs, resamples=1000, seed=5)
    curve, worths = label_curve(rep, N, ["best", "eda"])
    assert curve is not None and curve.n_per_label == [10.0, 20.0, 30.0, 40.0]
    assert curve.test_auc_mean == sorted(curve.test_auc_mean), "more labels, higher AUC"
    assert all(lo <= m <= hi for m, (lo, hi) in zip(curve.test_auc_mean, curve.test_auc_ci95))
    assert curve.more_labels_50pct.ci95[0] > 0, "50% more labels is worth something on this curve"
    best, eda = worths["best"], worths["eda"]
    assert best.extrapolated and best.ci95[0] > 0 and best.ci95[0] <= 20.0 <= best.ci95[1]
    assert eda.ci95[0] <= 0.0 <= eda.ci95[1], "no lift, no measurable worth"


def test_no_curve_when_every_share_keeps_the_same_labels_per_label():
    y, probs = _scored({name: 1.0 for name in N}, n_test=200)
    rep = bootstrap_replicates(y, probs, resamples=1000)
    assert label_curve(rep, dict.fromkeys(N, 1.0), ["best"]) == (None, {})
    del rep.points["labels_25"]
    assert label_curve(rep, N, ["best"]) == (None, {})


def _verdict_with_curve(detectable: float, best_worth: tuple, more: tuple):
    from sweep.verdict import Estimate, LabelCurve, Worth

    from .fakes import fake_arm, fake_verdict

    labels = {name: fake_arm(-0.04, -0.06, -0.02, "worse") for name in LABEL_ARMS}
    v = fake_verdict(**labels)
    best = v.arms["best"].model_copy(
        update={"worth_labels_per_label": Worth(mean=best_worth[0], ci95=list(best_worth[1:]), extrapolated=True)}
    )
    curve = LabelCurve(
        fractions=[0.25, 0.5, 0.75, 1.0],
        n_per_label=[15.0, 30.0, 45.0, 60.0],
        test_auc_mean=[0.66, 0.69, 0.70, 0.71],
        test_auc_ci95=[[0.63, 0.69], [0.66, 0.72], [0.67, 0.73], [0.68, 0.74]],
        fit={"a": 0.5, "b": 0.04},
        more_labels_50pct=Estimate(mean=more[0], ci95=list(more[1:])),
    )
    return v.model_copy(update={"detectable_delta": detectable, "labels": curve, "arms": {**v.arms, "best": best}})


def test_the_sentence_says_what_the_test_can_see_and_when_it_is_too_small():
    v = _verdict_with_curve(0.035, (14, 3, 27), (0.02, 0.01, 0.03))
    assert "can detect changes of about \u00b10.035 AUC; smaller effects read as no evidence" in detectable_words(v)
    coarse = detectable_words(v.model_copy(update={"detectable_delta": 0.14}))
    assert "too coarse for a useful verdict: about 2,700 test texts would bring that to \u00b10.05" in coarse


def test_the_labels_sentence_gives_the_cost_the_worth_and_the_next_step():
    words = labels_sentence(_verdict_with_curve(0.035, (14, 3, 27), (0.02, 0.01, 0.03)))
    assert "With half your labels: \u22120.040 [\u22120.060, \u22120.020]." in words
    assert "Synthetic data was worth about 14 [3, 27] real labels per label (extrapolated)." in words
    assert (
        "50% more real labels would be worth about +0.020 [+0.010, +0.030] AUC (extrapolated from 25\u2013100%" in words
    )
    assert words.endswith("Next: both pay at this size; compare the cost of generating with the cost of labelling.")
    none = labels_sentence(_verdict_with_curve(0.08, (3, -10, 18), (0.004, -0.01, 0.02)))
    assert "Synthetic data had no measurable worth in real labels: 3 [\u221210, 18] per label, extrapolated." in none
    at_cap = labels_sentence(_verdict_with_curve(0.08, (30, -10, 600), (0.004, -0.01, 0.02)))
    assert "30 [\u221210, \u2265600] per label" in at_cap, "a bound at the cap (10 x 60) is a floor"
    assert none.endswith(
        "neither shows a measurable gain at this size; a larger test split would tell smaller effects apart."
    )
    labels_only = labels_sentence(_verdict_with_curve(0.03, (3, -10, 18), (0.02, 0.01, 0.03)))
    assert labels_only.endswith(
        "Next: label more real examples; synthetic data showed no measurable worth at this size."
    )


def test_a_worth_at_the_cap_with_an_interval_down_to_zero_is_no_worth():
    from sweep.verdict._model import Worth
    from sweep.verdict._sentence import worth_words

    capped = Worth(mean=600, ci95=[-20, 600], extrapolated=True, capped=True)
    words = worth_words("Synthetic data", capped, n_full=60)
    assert words.startswith("Synthetic data had no measurable worth in real labels: \u2265600 [\u221220, \u2265600]")
    sure = Worth(mean=600, ci95=[40, 600], extrapolated=True, capped=True)
    assert "was worth more than 600 real labels per label" in worth_words("Synthetic data", sure, n_full=60)


def test_the_console_shows_the_curve_and_the_worths_and_keeps_the_label_arms_out_of_the_verdict_table():
    from sweep.outputs._console import curve_table, verdict_table, worth_line

    v = _verdict_with_curve(0.035, (14, 3, 27), (0.02, 0.01, 0.03))
    assert not any(row[0].startswith("labels_") for row in verdict_table(v).rows)
    table = curve_table(v)
    assert table is not None and [row[0] for row in table.rows] == ["25%", "50%", "75%", "100%"]
    assert table.rows[1] == ["50%", "30", "0.690 [0.660, 0.720]", "-0.040 [-0.060, -0.020]"]
    assert worth_line(v) == "worth in real labels per label: best +14 [+3, +27] extrapolated"
