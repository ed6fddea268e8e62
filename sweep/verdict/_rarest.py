"""The rarest quarter of the labels: each arm's macro test AUC over the labels with the fewest
training texts, where synthetic data is expected to help most (Møller et al. 2024).

A macro AUC over many labels averages a gain on a few rare labels away; this figure keeps it. It
uses the verdict's own paired bootstrap (``bootstrap_replicates`` with ``labels``) and the same
seed, so its replicates resample the same test texts and seeds as the macro figures'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._bootstrap import bootstrap_replicates, conclusion, intervals
from ._model import BASELINE, RAREST_MIN_LABELS, Conclusion, RarestArm, RarestQuarter


def rarest_quarter(
    labels: Sequence[str],
    train_y: np.ndarray,
    test_y: np.ndarray,
    arms: dict[str, np.ndarray],
    resamples: int,
    seed: int,
) -> RarestQuarter | None:
    """Each arm (class probabilities of shape (seeds, n, k)) on the rarest quarter of ``labels`` by
    their count in ``train_y``; None with fewer than ``RAREST_MIN_LABELS`` labels."""
    from trainables import rarest_labels, texts_per_label

    if len(labels) < RAREST_MIN_LABELS:
        return None
    counts = texts_per_label(train_y, len(labels))
    rare = rarest_labels(train_y, len(labels))
    rep = bootstrap_replicates(test_y, arms, resamples, seed=seed, labels=rare)
    return RarestQuarter(
        labels=[labels[i] for i in rare],
        train_counts=[int(counts[i]) for i in rare],
        of=len(labels),
        arms={
            name: RarestArm(
                test_auc_mean=rep.points[name],
                delta_auc=d.as_delta(),
                conclusion=Conclusion.REFERENCE if name == BASELINE else conclusion(d),
            )
            for name, d in intervals(rep, BASELINE).items()
        },
    )
