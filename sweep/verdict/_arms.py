"""The verdict's arms: what each one trains on.

* ``baseline``: real data only (what the user has today);
* ``reweighted``: real data with class-balanced loss weights (synthetic pools are label-balanced,
  so a gain may be rebalancing, not content);
* ``oversample``: real examples repeated to the best trial's count per label and weight;
* ``eda``: word-level edits of real examples (``_controls``), same count and weight;
* ``best``: the best synthetic trial's exact synthetic set (its checkpoint records it) and weights;
* ``generate``, ``paraphrase``: with both methods searched, each method's best trial, as ``best``;
* ``labels_25``, ``labels_50``, ``labels_75``: the baseline on a stratified share of each label's
  real examples (at least one), a fresh draw per seed, so the curve's intervals hold the draw's noise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trainables import SYNTHETIC_FILE

from ..config import SweepConfig
from ..inputs import Dataset
from ..rundir import CHECKPOINT_GLOB, TrialRecord, trial_params
from ._controls import Unit
from ._model import BASELINE, BEST, LABEL_ARMS, METHOD_ARMS

VERDICT_SEED_OFFSET = 1000
"""Verdict seeds are ``seed + 1000 + k``: never a seed a search trial trained with."""


@dataclass
class Arm:
    name: str
    texts: list[str]
    y: np.ndarray
    weights: np.ndarray
    params: dict[str, Any]
    test_probs: np.ndarray | None = None
    """(seeds, n_test, classes) at the chosen epoch."""
    val_probs: np.ndarray | None = None
    """(seeds, n_validation, classes) at the chosen epoch: label sets choose their thresholds on them."""
    epoch: int = 0
    val_auc_mean: float = float("nan")
    """Mean validation AUC over the seeds at the chosen epoch."""
    subsets: list[np.ndarray] | None = None
    """Per seed, the indices into ``texts`` that seed trains on (None: every seed trains on all)."""


def verdict_seeds(cfg: SweepConfig) -> list[int]:
    return [cfg.seed + VERDICT_SEED_OFFSET + k for k in range(cfg.eval.verdict_seeds)]


def _trial_checkpoint(r: TrialRecord) -> Path | None:
    """The checkpoint of the trial's best epoch, else its newest that records a synthetic set."""
    if r.best_checkpoint is not None:
        return r.best_checkpoint
    kept = sorted(c for c in r.path.glob(CHECKPOINT_GLOB) if (c / SYNTHETIC_FILE).is_file())
    return kept[-1] if kept else None


def stratified_subset(y: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``share * n_c`` examples (rounded half up, at least one) of each label ``c``,
    drawn without replacement (label sets: by iterative stratification, every label kept)."""
    if y.ndim == 2:
        from ..inputs import iterative_cut

        return np.sort(iterative_cut(y, share, rng)[1])
    keep = []
    for c in np.unique(y):
        pool = np.flatnonzero(y == c)
        keep.append(rng.choice(pool, size=max(1, int(share * len(pool) + 0.5)), replace=False))
    return np.sort(np.concatenate(keep))


def per_label_mean(y: np.ndarray, n_labels: int) -> float:
    """Real training examples per label, the mean over labels (label sets: texts carrying each label)."""
    if y.ndim == 2:
        return float(y.sum(axis=0).mean())
    return len(y) / max(1, len(np.unique(y)))


def _label_arms(data: Dataset, base: Any, seeds: list[int]) -> list[Arm]:
    """The baseline on shares of the real labels; seed ``s``'s draw comes from ``s`` and the share."""
    arms = []
    y = np.asarray(data.train.y)
    for name, share in LABEL_ARMS.items():
        subsets = [stratified_subset(y, share, np.random.default_rng([s, round(share * 100)])) for s in seeds]
        n_per_label = per_label_mean(y[subsets[0]], len(data.labels))
        params = {"n_synthetic": 0, "label_share": share, "n_per_label": n_per_label}
        arms.append(Arm(name, base.texts, base.y, base.weights, params, subsets=subsets))
    return arms


def _real_arms(data: Dataset, seeds: list[int], label_curve: bool) -> list[Arm]:
    from trainables import TrainingMix, balanced_class_weights

    base = TrainingMix.build(data.train.texts, data.train.y)
    curve = _label_arms(data, base, seeds) if label_curve else []
    return [
        Arm(BASELINE, base.texts, base.y, base.weights, {"n_synthetic": 0}),
        *curve,
        Arm(
            "reweighted",
            base.texts,
            base.y,
            balanced_class_weights(data.train.y),
            {"n_synthetic": 0, "class_weights": "balanced"},
        ),
    ]


def _trial_arm(cfg: SweepConfig, data: Dataset, name: str, trial: TrialRecord) -> tuple[Arm, dict[Unit, int]] | None:
    """An arm that trains on a trial's exact synthetic set and weights, and that set's count per label
    (label sets: per label set); None without its checkpoint."""
    from trainables import TrainingMix, read_synthetic

    ckpt = _trial_checkpoint(trial)
    if ckpt is None:
        return None
    synth = read_synthetic(ckpt / SYNTHETIC_FILE, data.labels, data.multilabel)
    params = trial_params(trial)
    real_ratio = float(params.get("real_ratio", 1.0))
    mix = TrainingMix.build(
        data.train.texts, data.train.y, synth.texts, synth.y, real_ratio, cfg.search.max_synthetic_weight
    )
    shared = {"n_synthetic": len(synth.texts), "real_ratio": real_ratio, "real_share": mix.real_share}
    params = {**params, **shared, "trial": trial.number, "trial_id": trial.trial_id}
    return Arm(name, mix.texts, mix.y, mix.weights, params), unit_counts(synth.y, len(data.labels))


def unit_counts(y: np.ndarray, n_labels: int) -> dict[Unit, int]:
    """How many examples of each class (label sets: of each label set) ``y`` holds."""
    if y.ndim == 2:
        return dict(Counter(tuple(np.flatnonzero(r).tolist()) for r in y))
    return {i: int((y == i).sum()) for i in range(n_labels)}


def _control_arms(cfg: SweepConfig, data: Dataset, best: Arm, counts: dict[Unit, int]) -> list[Arm]:
    """Oversampling and EDA at the best arm's synthetic count per label and real share."""
    from trainables import TrainingMix

    from ._controls import eda_texts, oversample

    real_texts, real_y = data.train.texts, data.train.y
    real_ratio, cap = float(best.params["real_ratio"]), cfg.search.max_synthetic_weight
    seed = cfg.seed + VERDICT_SEED_OFFSET
    controls = {
        "oversample": oversample(real_texts, real_y, counts, seed),
        "eda": eda_texts(real_texts, real_y, counts, seed, cfg.eval.eda_alpha),
    }
    shared = {k: best.params[k] for k in ("real_ratio", "real_share")}
    arms = []
    for name, (texts, ys) in controls.items():
        mix = TrainingMix.build(real_texts, real_y, texts, ys, real_ratio, cap)
        arms.append(Arm(name, mix.texts, mix.y, mix.weights, {**shared, "n_synthetic": len(texts)}))
    return arms


def build_arms(
    cfg: SweepConfig, data: Dataset, best: TrialRecord | None, by_augment: dict[str, TrialRecord] | None = None
) -> list[Arm]:
    """Every arm; the cheap controls and ``best`` only when a synthetic trial finished with its checkpoint,
    and one arm per method of ``by_augment`` (each method's best trial) when more than one was searched."""
    arms = _real_arms(data, verdict_seeds(cfg), cfg.eval.label_curve)
    built = _trial_arm(cfg, data, BEST, best) if best is not None else None
    if built is None:
        return arms
    best_arm, counts = built
    arms += _control_arms(cfg, data, best_arm, counts)
    arms.append(best_arm)
    for method, trial in (by_augment or {}).items():
        method_arm = _trial_arm(cfg, data, method, trial) if method in METHOD_ARMS else None
        if method_arm is not None:
            arms.append(method_arm[0])
    return arms
