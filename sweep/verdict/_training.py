"""Training the verdict's arms as the trials trained: same classifier settings, epochs and epoch choice."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import SweepConfig
from ..inputs import Dataset
from ._arms import Arm

if TYPE_CHECKING:
    from trainables import ClassifierSettings


def arm_inputs(
    cfg: SweepConfig, data: Dataset, settings: ClassifierSettings, arms: list[Arm], device: str
) -> tuple[list, Any, Any, int]:
    """(each arm's training inputs, validation inputs, test inputs, feature width): cached pooled
    features in head mode (width > 0), else the texts themselves (width 0)."""
    if settings.mode != "head":
        return [a.texts for a in arms], data.validation.texts, data.test.texts, 0
    from trainables import FrozenEncoder

    encoder = FrozenEncoder(settings.path, settings.hash, settings.max_length, cfg.feature_cache, device)
    try:
        val_in, test_in = encoder.features(data.validation.texts), encoder.features(data.test.texts)
        return [encoder.features(a.texts) for a in arms], val_in, test_in, encoder.dim
    finally:
        encoder.close()


def _subset(train_in: Any, arm: Arm, idx: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
    """One seed's share of the arm: features (an array) or texts (a list), labels and weights."""
    inputs = train_in[idx] if isinstance(train_in, np.ndarray) else [train_in[i] for i in idx]
    return inputs, arm.y[idx], arm.weights[idx]


def train_arm(
    arm: Arm,
    settings: ClassifierSettings,
    labels: list[str],
    seeds: list[int],
    inputs: tuple,
    val_y: np.ndarray,
    dim: int,
    device: str,
) -> None:
    """Train the arm's seeds in lockstep; keep the test probabilities of the best mean-validation epoch.

    ``inputs`` is (train, validation, test) as ``arm_inputs`` gives them; ``settings`` a
    ``trainables.ClassifierSettings``.
    """
    from trainables import Repeats, auc

    train_in, val_in, test_in = inputs
    clf = Repeats.build(settings, labels, seeds, dim, device)
    parts = None if arm.subsets is None else [_subset(train_in, arm, idx) for idx in arm.subsets]
    best = -math.inf
    for epoch in range(1, settings.epochs + 1):
        if parts is None:
            clf.fit_epoch(train_in, arm.y, arm.weights)
        else:
            clf.fit_epoch_each(parts)
        val_probs = clf.predict_proba(val_in)
        val = float(np.mean([auc(val_y, p) for p in val_probs]))
        if math.isfinite(val) and val > best:
            best, arm.epoch = val, epoch
            arm.test_probs = np.stack(clf.predict_proba(test_in))
            arm.val_probs = np.stack(val_probs)
    arm.val_auc_mean = best
