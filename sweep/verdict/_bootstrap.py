"""Paired bootstrap intervals for differences in test AUC between verdict arms.

Each replicate resamples the test examples (with replacement) and, independently, the seeds
(with replacement, the same seed draws for every arm, since the arms were trained with the same
seeds). An arm's score in a replicate is its AUC averaged over the drawn seeds, so the interval
holds both the test set's sampling error and the training noise between seeds. AUCs are computed
from ranks for all replicates at once (a few seconds for 2,000 replicates).
"""

from __future__ import annotations

from dataclasses import dataclass

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


def resampled_auc(y: np.ndarray, probs: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """AUC of ``probs`` (n, k) on each resample ``idx`` (B, n), as ``trainables.auc`` scores it:
    binary on the second class's score, else the macro one-vs-rest mean over the classes present."""
    yb = np.asarray(y)[idx]
    k = probs.shape[1]
    if k == 2:
        return binary_auc_rows(yb == 1, probs[:, 1][idx])
    per_class = np.stack([binary_auc_rows(yb == c, probs[:, c][idx]) for c in range(k)])
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(per_class)
        return np.where(present.sum(0) >= 2, np.nansum(per_class, axis=0) / np.maximum(present.sum(0), 1), np.nan)


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

    def scores(probs: np.ndarray) -> tuple[float, np.ndarray]:
        per_seed = np.stack([resampled_auc(y, probs[j], idx) for j in range(s)])  # (s, B)
        point = float(np.mean([resampled_auc(y, probs[j], full)[0] for j in range(s)]))
        return point, np.take_along_axis(per_seed, seed_draws.T, axis=0).mean(axis=0)

    ref_point, ref_boot = scores(arms[reference])
    tail = (1.0 - level) / 2.0 * 100.0
    out: dict[str, Interval] = {}
    for name, probs in arms.items():
        point, boot = (ref_point, ref_boot) if name == reference else scores(probs)
        delta = boot - ref_boot
        delta = delta[~np.isnan(delta)]
        lo, hi = np.percentile(delta, [tail, 100.0 - tail]) if len(delta) else (np.nan, np.nan)
        out[name] = Interval(point - ref_point, float(lo), float(hi))
    return out


def conclusion(interval: Interval) -> Conclusion:
    """`better` when the whole interval lies above 0, `worse` when below, else `no evidence`."""
    if interval.lo > 0:
        return Conclusion.BETTER
    if interval.hi < 0:
        return Conclusion.WORSE
    return Conclusion.NO_EVIDENCE
