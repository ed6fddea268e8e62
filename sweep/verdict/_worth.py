"""What real labels are worth at the user's size, and what each augmentation is worth in real labels.

The baseline trained on 25, 50, 75 and 100% of each label's real examples gives a curve of test
AUC against ``n``, the real examples per label. An arm's worth is ``n_eq - n``: the labels per
label at which the curve reaches the arm's AUC, minus the labels the user has. Inside the measured
range ``n_eq`` is interpolated on the curve made monotone from the full-size point down (so the
worth has the sign of the arm's difference from the baseline); above the full-size baseline, or
below the smallest share, it is read off ``auc = a + b ln n`` (least squares over the four points),
which is an extrapolation and said so. Every number is computed on the full test set and on each
bootstrap replicate, so its interval comes from the same replicates as the differences.
"""

from __future__ import annotations

import math

import numpy as np

from ._bootstrap import Replicates, percentile_interval
from ._model import BASELINE, LABEL_ARMS, CurveFit, Estimate, LabelCurve, Worth

WORTH_CAP = 10.0
"""A worth is at most this many times the labels per label the user has: beyond that, or when the
curve does not rise, the fitted line says nothing useful."""
MORE_LABELS = 1.5
"""The "more labels" question: what 50% more real labels would change."""


def fit_log(n: np.ndarray, auc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares ``auc = a + b ln n`` for each column of ``auc`` (points, B): (a, b), each (B,)."""
    x = np.log(n)
    xc = x - x.mean()
    b = (xc[:, None] * (auc - auc.mean(axis=0))).sum(axis=0) / (xc**2).sum()
    return auc.mean(axis=0) - b * x.mean(), b


def labels_equivalent(v: float, n: np.ndarray, auc: np.ndarray, b: float) -> tuple[float, bool]:
    """(the labels per label at which the curve reaches AUC ``v``, whether that is an extrapolation)."""
    curve = np.minimum.accumulate(auc[::-1])[::-1]  # monotone, ending at the full-size baseline
    top = n[-1] * (1.0 + WORTH_CAP)
    if v > curve[-1]:
        if b <= 0 or (v - curve[-1]) / b >= math.log1p(WORTH_CAP):  # a flat curve: no number of labels gets there
            return top, True
        return n[-1] * math.exp((v - curve[-1]) / b), True
    if v < curve[0]:
        return (n[0] * math.exp((v - curve[0]) / b) if b > 0 else 0.0), True
    return float(np.interp(v, curve, n)), False


def _worth(arm: str, names: list[str], n: np.ndarray, rep: Replicates, b_point: float, b_boot: np.ndarray) -> Worth:
    curve_point = np.array([rep.points[k] for k in names])
    n_eq, extrapolated = labels_equivalent(rep.points[arm], n, curve_point, b_point)
    curve_boot = np.stack([rep.boot[k] for k in names])
    values = [
        labels_equivalent(float(v), n, curve_boot[:, j], float(b_boot[j]))[0] - n[-1]
        for j, v in enumerate(rep.boot[arm])
        if np.isfinite(v) and np.isfinite(curve_boot[:, j]).all()
    ]
    lo, hi = percentile_interval(np.asarray(values))
    mean = n_eq - n[-1]
    return Worth(mean=mean, ci95=[lo, hi], extrapolated=extrapolated, capped=mean >= WORTH_CAP * n[-1] - 1e-9)


def label_curve(rep: Replicates, n_per_label: dict[str, float], arms: list[str]) -> tuple[LabelCurve | None, dict]:
    """The curve over ``LABEL_ARMS`` and the baseline, and the worth of each of ``arms`` (name → ``Worth``).

    None and no worths when a share is missing or every share kept the same labels per label.
    """
    names = [*LABEL_ARMS, BASELINE]
    if any(k not in rep.points for k in names):
        return None, {}
    n = np.array([n_per_label[k] for k in names], dtype=float)
    if np.ptp(np.log(n)) == 0:
        return None, {}
    auc_point = np.array([rep.points[k] for k in names])
    auc_boot = np.stack([rep.boot[k] for k in names])
    finite = np.isfinite(auc_boot).all(axis=0)
    a, b = fit_log(n, auc_point[:, None])
    _, b_boot = fit_log(n, auc_boot[:, finite])
    gain = math.log(MORE_LABELS)
    curve = LabelCurve(
        fractions=[*LABEL_ARMS.values(), 1.0],
        n_per_label=n.tolist(),
        test_auc_mean=auc_point.tolist(),
        test_auc_ci95=[list(percentile_interval(rep.boot[k][np.isfinite(rep.boot[k])])) for k in names],
        fit=CurveFit(a=float(a[0]), b=float(b[0])),
        more_labels_50pct=Estimate(mean=float(b[0]) * gain, ci95=list(percentile_interval(b_boot * gain))),
    )
    full_b = np.full(len(finite), np.nan)
    full_b[finite] = b_boot
    worths = {arm: _worth(arm, names, n, rep, float(b[0]), full_b) for arm in arms if arm in rep.points}
    return curve, worths
