"""The verdict: does synthetic data help on the untouched test split, and by how much?

After the search, the arms (``_arms``) are retrained with ``eval.verdict_seeds`` fresh seeds each
(seeds the search never saw, so the search's luck with its own seeds does not carry over) and
scored on the test split, the only place test data is used. Every arm trains
``classifier.epochs`` epochs; the epoch is chosen by the mean validation AUC over its seeds, as
in the search. Differences from ``baseline`` carry a 95% paired bootstrap interval
(``_bootstrap``); an arm is ``better`` or ``worse`` only when the interval excludes 0.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainables import OPTIONAL_METRICS

from ..config import SweepConfig
from ..inputs import Dataset
from ..rundir import Selection
from ._arms import Arm, build_arms, per_label_mean, verdict_seeds
from ._bootstrap import Replicates, bootstrap_replicates, conclusion, detectable_delta, intervals
from ._model import (
    AUGMENTATION_ARMS,
    BASELINE,
    BEST,
    LABEL_ARMS,
    Conclusion,
    LabelCurve,
    RarestQuarter,
    Verdict,
    VerdictArm,
    Worth,
)
from ._rarest import rarest_quarter
from ._sentence import verdict_sentence
from ._training import arm_inputs, train_arm
from ._worth import label_curve

if TYPE_CHECKING:
    from trainables import ClassifierSettings

HOLD_ENV = "SYNTHSWEEP_TEST_HOLD_VERDICT_FILE"
"""Test hook, inert unless set: the verdict waits while the file it names exists (after creating
``<file>.reached``), so a test can interrupt it at a known point."""

_METRICS = ("precision", "recall", "f1", *OPTIONAL_METRICS)


def _held_for_a_test() -> None:
    path = os.environ.get(HOLD_ENV)
    if not path:
        return
    Path(path + ".reached").touch()
    deadline = time.monotonic() + 600.0
    while Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def _arm_record(arm: Arm, test_y: np.ndarray, data: Dataset, interval: Any, worth: Worth | None) -> VerdictArm:
    """The arm's test metrics averaged over its seeds (as a trial averages its repeats on validation)."""
    from trainables import classification_metrics, f1_thresholds, mean_metrics

    assert arm.test_probs is not None and arm.val_probs is not None
    val_y = np.asarray(data.validation.y)
    # Label sets: each seed's per-label thresholds are chosen on its own validation scores, never on test.
    thresholds = [f1_thresholds(val_y, v) if data.multilabel else None for v in arm.val_probs]
    m = mean_metrics(
        [classification_metrics(test_y, p, data.labels, data.positive, t) for p, t in zip(arm.test_probs, thresholds)]
    )
    return VerdictArm(
        params=arm.params,
        epoch=arm.epoch,
        val_auc_mean=arm.val_auc_mean,
        test_auc_mean=m["auc"],
        test_auc_sd=m["auc_sd"],
        **{k: m[k] for k in _METRICS if k in m},
        delta_auc=interval.as_delta(),
        conclusion=Conclusion.REFERENCE if arm.name == BASELINE else conclusion(interval),
        worth_labels_per_label=worth,
        per_label=m.get("per_class"),
    )


def _train_arms(
    cfg: SweepConfig, data: Dataset, settings: ClassifierSettings, arms: list[Arm], progress: Callable | None
) -> list[int]:
    """Train every arm's seeds; the seeds."""
    import torch

    seeds = verdict_seeds(cfg)
    device = "cuda" if cfg.resources.trial.gpus > 0 and torch.cuda.is_available() else "cpu"
    val_y = np.asarray(data.validation.y)
    train_ins, val_in, test_in, dim = arm_inputs(cfg, data, settings, arms, device)
    for i, (arm, train_in) in enumerate(zip(arms, train_ins)):
        if progress:
            progress(f"verdict: training {arm.name} ({i + 1}/{len(arms)}), {len(seeds)} seeds")
        train_arm(arm, settings, data.labels, seeds, (train_in, val_in, test_in), val_y, dim, device)
    return seeds


def _curve(arms: list[Arm], data: Dataset, rep: Replicates) -> tuple[LabelCurve | None, dict]:
    n_per_label = {a.name: float(a.params["n_per_label"]) for a in arms if "n_per_label" in a.params}
    n_per_label[BASELINE] = per_label_mean(np.asarray(data.train.y), len(data.labels))
    return label_curve(rep, n_per_label, [a.name for a in arms if a.name in AUGMENTATION_ARMS])


def _rarest(cfg: SweepConfig, data: Dataset, test_y: np.ndarray, arms: list[Arm]) -> RarestQuarter | None:
    """The arms but the real-label curve's on the rarest quarter of the labels, on the macro figures'
    replicates (the same ``cfg.seed``)."""
    scored = {a.name: a.test_probs for a in arms if a.name not in LABEL_ARMS}
    return rarest_quarter(data.labels, data.train.y, test_y, scored, cfg.eval.bootstrap, cfg.seed)


def write_scores(path: Path, test_y: np.ndarray, arms: list[Arm]) -> None:
    """Every arm's test probabilities (seeds, texts, classes) and the labels, written whole or not at all."""
    from common import atomic_file

    arrays: dict[str, Any] = {"test_y": test_y, **{a.name: np.asarray(a.test_probs, dtype=np.float32) for a in arms}}
    with atomic_file(path) as f:
        np.savez_compressed(f, **arrays)


def read_scores(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(test labels, arm -> probabilities) as ``write_scores`` wrote them."""
    with np.load(path) as z:
        return z["test_y"], {k: z[k] for k in z.files if k != "test_y"}


def run_verdict(
    cfg: SweepConfig,
    data: Dataset,
    settings: ClassifierSettings,
    selection: Selection,
    progress: Callable[[str], None] | None = None,
    scores_to: Path | None = None,
) -> Verdict:
    """Retrain the arms, score them on the test split; ``selection.best`` is the synthetic trial tested.

    ``settings`` (``trainables.ClassifierSettings``) builds every arm's classifiers as the trials did;
    ``scores_to`` keeps every arm's test probabilities there (``write_scores``).
    """
    import torch

    t0 = time.perf_counter()
    _held_for_a_test()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    arms = build_arms(cfg, data, selection.best, selection.by_augment)
    seeds = _train_arms(cfg, data, settings, arms, progress)
    test_y = np.asarray(data.test.y)
    if scores_to is not None:
        write_scores(scores_to, test_y, arms)
    rep = bootstrap_replicates(test_y, {a.name: a.test_probs for a in arms}, cfg.eval.bootstrap, seed=cfg.seed)
    deltas = intervals(rep, BASELINE)
    curve, worths = _curve(arms, data, rep)
    records = {a.name: _arm_record(a, test_y, data, deltas[a.name], worths.get(a.name)) for a in arms}
    best = records.get(BEST)
    verdict = Verdict(
        seeds=len(seeds),
        seed_values=seeds,
        bootstrap=cfg.eval.bootstrap,
        confidence=0.95,
        n_test=len(test_y),
        positive_label=data.positive_label,
        conclusion=best.conclusion if best is not None else Conclusion.NO_SYNTHETIC,
        arms=records,
        detectable_delta=detectable_delta(rep, BEST, BASELINE) if best is not None else None,
        labels=curve,
        rarest=_rarest(cfg, data, test_y, arms),
        verdict_s=time.perf_counter() - t0,
        sentence="",
    )
    return verdict.model_copy(update={"sentence": verdict_sentence(verdict, cfg)})
