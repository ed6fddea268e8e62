"""One size's draws combined: each arm's mean test AUC and its difference from the baseline.

Every point of a curve is scored on the same test split, so one bootstrap replicate resamples the
test texts once for all of a size's points, and also resamples the draws (with replacement) and,
within each drawn point, its seeds, as the verdict does. An arm's value in a replicate is its AUC
averaged over the drawn seeds and then the drawn draws, so the interval holds the test set's
sampling error, the training noise between seeds and the spread between subsets of the real data.
"""

from __future__ import annotations

import numpy as np

from ..verdict import BASELINE, Interval, conclusion, percentile_interval, resampled_auc
from ._model import ArmAtSize

LABEL_ARM_PREFIX = "labels_"


def _per_seed_auc(y: np.ndarray, probs: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(seeds, B) AUC of each seed's probabilities (seeds, n, k) on each resample ``idx`` (B, n)."""
    return np.stack([resampled_auc(y, probs[j], idx) for j in range(probs.shape[0])])


def combine_draws(
    test_y: np.ndarray, points: list[dict[str, np.ndarray]], resamples: int, seed: int = 0
) -> dict[str, tuple[float, Interval]]:
    """Per arm common to every point: (mean test AUC, its difference from the baseline with a 95%
    interval) over the ``points`` (one dict arm -> probabilities (seeds, n, k) per draw)."""
    arms = [a for a in points[0] if all(a in p for p in points) and not a.startswith(LABEL_ARM_PREFIX)]
    n, n_draws = len(test_y), len(points)
    n_seeds = min(p[a].shape[0] for p in points for a in arms)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    draws = rng.integers(0, n_draws, size=(resamples, n_draws))
    seeds = rng.integers(0, n_seeds, size=(resamples, n_draws, n_seeds))
    full = np.arange(n)[None, :]
    cols = np.arange(resamples)[:, None, None]
    boot, point = {}, {}
    for a in arms:
        per = np.stack([_per_seed_auc(test_y, p[a][:n_seeds], idx) for p in points])  # (draws, seeds, B)
        boot[a] = np.nanmean(per[draws[:, :, None], seeds, cols], axis=(1, 2))
        point[a] = float(np.mean([_per_seed_auc(test_y, p[a][:n_seeds], full).mean() for p in points]))
    out = {}
    for a in arms:
        d = boot[a] - boot[BASELINE]
        lo, hi = percentile_interval(d[~np.isnan(d)])
        mean = point[a] - point[BASELINE]
        out[a] = (point[a], Interval(mean, 0.0, 0.0) if a == BASELINE else Interval(mean, lo, hi))
    return out


def arms_at_size(combined: dict[str, tuple[float, Interval]], added: dict[str, float]) -> dict[str, ArmAtSize]:
    """The typed records of ``combine_draws``; ``added``: each arm's mean examples added."""
    from ..verdict import Conclusion

    return {
        a: ArmAtSize(
            test_auc_mean=auc,
            delta_auc=iv.as_delta(),
            conclusion=Conclusion.REFERENCE if a == BASELINE else conclusion(iv),
            n_synthetic=added.get(a),
        )
        for a, (auc, iv) in combined.items()
    }
