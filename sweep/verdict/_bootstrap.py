"""Paired bootstrap intervals for differences in test AUC between verdict arms.

Each replicate resamples the test examples (with replacement) and, independently, the seeds
(with replacement, the same seed draws for every arm, since the arms were trained with the same
seeds). An arm's score in a replicate is its AUC averaged over the drawn seeds, so the interval
holds both the test set's sampling error and the training noise between seeds. AUCs are computed
from ranks for all replicates at once (a few seconds for 2,000 replicates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from trainables import binary_auc_rows

from ._model import Conclusion, DeltaAUC


@dataclass(frozen=True)
class Interval:
    mean: float
    """The difference on the full test set, each arm averaged over its seeds."""
    lo: float
    hi: float

    def as_delta(self) -> DeltaAUC:
        return DeltaAUC(mean=self.mean, ci95=[self.lo, self.hi])


def resampled_auc(y: np.ndarray, probs: np.ndarray, idx: np.ndarray, labels: Sequence[int] | None = None) -> np.ndarray:
    """AUC of ``probs`` (n, k) on each resample ``idx`` (B, n), as ``trainables.auc`` scores it.

    One label per text (``y`` of shape (n,)): binary on the second class's score, else the macro
    one-vs-rest mean over the classes present. Label sets (``y`` of shape (n, k), 0/1): the macro
    mean of each label's AUC where the resample holds texts with and without it; a resample keeps
    each text's whole label set. ``labels`` restricts the macro mean to those label indices (the
    rarest quarter); None: every label.
    """
    y = np.asarray(y)
    k = probs.shape[1]
    if y.ndim == 1 and k == 2 and labels is None:
        return binary_auc_rows(y[idx] == 1, probs[:, 1][idx])
    columns = range(k) if labels is None else labels
    if y.ndim == 2:
        per_label = [binary_auc_rows(y[:, c][idx] == 1, probs[:, c][idx]) for c in columns]
    else:
        per_label = [binary_auc_rows(y[idx] == c, probs[:, c][idx]) for c in columns]
    stacked = np.stack(per_label)
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(stacked)
        # One-vs-rest over several classes needs two present; a label subset or label sets need one.
        need = 2 if y.ndim == 1 and labels is None else 1
        mean = np.nansum(stacked, axis=0) / np.maximum(present.sum(0), 1)
        return np.where(present.sum(0) >= need, mean, np.nan)


@dataclass(frozen=True)
class Replicates:
    """Every arm's AUC on the full test set and on each bootstrap replicate (the same draws for all)."""

    points: dict[str, float]
    """Per arm: its AUC on the full test set, averaged over its seeds."""
    boot: dict[str, np.ndarray]
    """Per arm: (B,) AUC of each replicate, averaged over that replicate's seed draws."""

    def delta(self, name: str, reference: str) -> np.ndarray:
        """(B,) differences ``name - reference``, replicates where either AUC is undefined left out."""
        d = self.boot[name] - self.boot[reference]
        return d[~np.isnan(d)]


def bootstrap_replicates(
    y: np.ndarray,
    arms: dict[str, np.ndarray],
    resamples: int,
    seed: int = 0,
    labels: Sequence[int] | None = None,
) -> Replicates:
    """Each arm's AUC on ``resamples`` paired replicates (see the module docstring).

    ``arms`` maps a name to class probabilities of shape (seeds, n, k); every arm has the same
    number of seeds, and every arm's seed ``j`` is drawn together in a replicate. ``labels``: the
    AUC is the macro mean over these label indices only (``resampled_auc``). The same ``seed``
    draws the same replicates, so AUCs over different labels are paired too.
    """
    y = np.asarray(y)
    n = len(y)
    n_seeds = {p.shape[0] for p in arms.values()}
    if len(n_seeds) != 1:
        raise ValueError(f"every arm needs the same number of seeds, got {sorted(n_seeds)}")
    (s,) = n_seeds
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    seed_draws = rng.integers(0, s, size=(resamples, s))
    full = np.arange(n)[None, :]
    points, boot = {}, {}
    for name, probs in arms.items():
        per_seed = np.stack([resampled_auc(y, probs[j], idx, labels) for j in range(s)])  # (s, B)
        points[name] = float(np.mean([resampled_auc(y, probs[j], full, labels)[0] for j in range(s)]))
        boot[name] = np.take_along_axis(per_seed, seed_draws.T, axis=0).mean(axis=0)
    return Replicates(points, boot)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` percentile interval of ``values`` (NaN, NaN when there are none)."""
    if not len(values):
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return float(lo), float(hi)


def intervals(rep: Replicates, reference: str, level: float = 0.95) -> dict[str, Interval]:
    """Each arm's AUC minus ``reference``'s with its paired percentile interval (the reference's is 0)."""
    out = {}
    for name in rep.points:
        lo, hi = percentile_interval(rep.delta(name, reference), level)
        out[name] = Interval(rep.points[name] - rep.points[reference], lo, hi)
    return out


def bootstrap_deltas(
    y: np.ndarray,
    arms: dict[str, np.ndarray],
    reference: str,
    resamples: int,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Interval]:
    """Each arm's AUC minus ``reference``'s with a paired percentile interval.

    ``arms`` maps a name to class probabilities of shape (seeds, n, k); every arm has the same
    number of seeds. The reference's own interval is exactly zero.
    """
    return intervals(bootstrap_replicates(y, arms, resamples, seed), reference, level)


DETECTABLE_FACTOR = float(NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.80))
"""z(0.975) + z(0.80) = 2.80: a true change this many standard errors from 0 is detected by a
two-sided 5% test with 80% probability."""


def detectable_delta(rep: Replicates, name: str, reference: str) -> float | None:
    """The smallest change in AUC the test split detects with 80% power at the 5% two-sided level:
    2.80 times the bootstrap standard error of ``name - reference`` (None without two replicates).

    An arm that trained exactly as the reference (a mix whose synthetic examples carry no weight)
    differs by 0 in every replicate, which says nothing about the test split: then the median
    standard error of the other arms' differences from the reference stands in.
    """
    se = _delta_se(rep, name, reference)
    if se is not None and se < _SAME:
        others = [_delta_se(rep, n, reference) for n in rep.boot if n not in (name, reference)]
        spread = [v for v in others if v is not None and v >= _SAME]
        se = float(np.median(spread)) if spread else None
    return None if se is None else float(DETECTABLE_FACTOR * se)


_SAME = 1e-12
"""A standard error below this is an arm identical to the reference, not a precise test."""


def _delta_se(rep: Replicates, name: str, reference: str) -> float | None:
    d = rep.delta(name, reference)
    return float(np.std(d, ddof=1)) if len(d) >= 2 else None


def conclusion(interval: Interval) -> Conclusion:
    """`better` when the whole interval lies above 0, `worse` when below, else `no evidence`."""
    if interval.lo > 0:
        return Conclusion.BETTER
    if interval.hi < 0:
        return Conclusion.WORSE
    return Conclusion.NO_EVIDENCE
