"""The curve's parts without Ray: sizes, the plan, the draws combined, the table and the sentence."""

from __future__ import annotations

import numpy as np
import pytest

from common import UserError
from sweep.config import load_config
from sweep.curve import combine_draws, curve_sentence, new_plan, parse_sizes, plan_lines
from sweep.curve._model import ArmAtSize
from sweep.verdict import Conclusion, DeltaAUC

from .conftest import REPO

DEMO = REPO / "conf" / "demo.yaml"


def test_sizes_are_numbers_or_all_sorted_once():
    assert parse_sizes(["20", "5", "all", "5"]) == (5, 20, "all")
    for bad in (["0"], ["five"], ["-3"], []):
        with pytest.raises(UserError, match="--sizes"):
            parse_sizes(bad)


def test_a_size_the_smallest_label_cannot_fill_is_refused_before_anything_runs(tmp_path):
    cfg = load_config(DEMO, [f"storage={tmp_path}"])
    with pytest.raises(UserError, match=r"--sizes: 40 examples per label is more than class 'negative' has \(35"):
        new_plan(cfg, (5, 40), 3)
    assert not any(tmp_path.iterdir()), "nothing is written"


def test_every_point_is_the_base_config_at_its_size_and_draw_with_the_same_held_out_splits(tmp_path):
    from sweep.inputs import sweep_dataset

    plan = new_plan(load_config(DEMO, [f"storage={tmp_path}"]), (5, "all"), 2)
    assert [p.name for p in plan.points()] == ["n5-d0", "n5-d1", "nall-d0"]
    data = [sweep_dataset(plan.point_config(p)) for p in plan.points()]
    assert [len(d.train) for d in data] == [10, 10, 120]
    assert data[0].train.texts != data[1].train.texts, "another draw, another subset"
    assert all(d.validation.texts == data[0].validation.texts and d.test.texts == data[0].test.texts for d in data)
    cfg = plan.point_config(plan.points()[0])
    assert cfg.run_dir == tmp_path / "demo-curve" / "n5-d0" and cfg.eval.label_curve is False
    lines = plan_lines(plan)
    assert "3 sweeps (n5-d0, n5-d1, nall-d0), 8 trials" in lines[1] and "24 trials in all" in lines[1]


def _scores(rng, y: np.ndarray, lift: float, seeds: int = 3) -> dict[str, np.ndarray]:
    """One draw's arms scored on the test labels ``y``."""
    n = len(y)
    out = {}
    for arm, shift in (("baseline", 0.0), ("best", lift), ("eda", 0.0)):
        s = (1.0 + shift) * y[None, :] + rng.normal(0, 1, (seeds, n))
        p1 = 1 / (1 + np.exp(-s))
        out[arm] = np.stack([1 - p1, p1], axis=-1)
    return out


def test_combined_draws_find_a_real_lift_and_claim_none_without_one():
    """Positive and negative control of the combined interval over draws."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    points = [_scores(rng, y, 0.8) for _ in range(3)]  # the same test texts, three draws' classifiers
    combined = combine_draws(y, points, resamples=500, seed=1)
    auc, best = combined["best"]
    assert best.lo > 0, "a real lift is found"
    _, eda = combined["eda"]
    assert eda.lo <= 0 <= eda.hi, "no lift is not claimed"
    assert combined["baseline"][1].mean == 0.0 and 0.5 < combined["baseline"][0] < auc


def _arm(mean: float, lo: float, hi: float) -> ArmAtSize:
    c = Conclusion.BETTER if lo > 0 else Conclusion.WORSE if hi < 0 else Conclusion.NO_EVIDENCE
    return ArmAtSize(test_auc_mean=0.7, delta_auc=DeltaAUC(mean=mean, ci95=[lo, hi]), conclusion=c)


def test_the_sentence_says_where_synthetic_data_helped():
    base = ArmAtSize(test_auc_mean=0.7, delta_auc=DeltaAUC(mean=0, ci95=[0, 0]), conclusion=Conclusion.REFERENCE)
    by_size = {
        "5": {"baseline": base, "best": _arm(0.06, 0.02, 0.10)},
        "10": {"baseline": base, "best": _arm(0.03, 0.01, 0.05)},
        "20": {"baseline": base, "best": _arm(0.01, -0.01, 0.03)},
    }
    assert curve_sentence(by_size) == (
        "Synthetic data helped at 5 and 10 examples per label (+0.060 [+0.020, +0.100], +0.030 [+0.010, +0.050]); "
        "at 20 there was no evidence either way (+0.010 [\u22120.010, +0.030])."
    )
    none = {"5": {"baseline": base, "best": _arm(0.01, -0.01, 0.03)}}
    assert curve_sentence(none).startswith("Synthetic data helped at no size: at 5 there was no evidence")


def test_each_searched_method_is_its_own_column_and_line():
    from sweep.curve._words import SHOWN_ARMS, curve_table, shown_arms

    base = ArmAtSize(test_auc_mean=0.7, delta_auc=DeltaAUC(mean=0, ci95=[0, 0]), conclusion=Conclusion.REFERENCE)
    plain = {"5": {"baseline": base, "best": _arm(0.02, -0.01, 0.05)}}
    assert shown_arms(plain) == SHOWN_ARMS, "a sweep that searched one method shows no method columns"
    both = {
        "5": {"baseline": base, "best": _arm(0.06, 0.02, 0.1), "generate": _arm(0.01, -0.02, 0.04)},
        "10": {"baseline": base, "best": _arm(0.03, 0.01, 0.05), "paraphrase": _arm(0.03, 0.01, 0.05)},
    }
    assert shown_arms(both) == (*SHOWN_ARMS, "generate", "paraphrase")
    headers = [c.header for c in curve_table(both, draws=3).columns]
    assert "generate" in headers and "paraphrase" in headers
