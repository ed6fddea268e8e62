"""The verdict: does synthetic data help on the untouched test split, and by how much?

After the search, five arms are retrained with ``eval.verdict_seeds`` fresh seeds each (seeds
the search never saw, so the search's luck with its own seeds does not carry over) and scored
on the test split, the only place test data is used:

* ``baseline``: real data only (what the user has today);
* ``reweighted``: real data with class-balanced loss weights (synthetic pools are label-balanced,
  so a gain may be rebalancing, not content);
* ``oversample``: real examples repeated to the best trial's count per label and weight;
* ``eda``: word-level edits of real examples (``_controls``), same count and weight;
* ``best``: the best synthetic trial's exact synthetic set (its checkpoint records it) and weights.

Every arm trains ``classifier.epochs`` epochs; the epoch is chosen by the mean validation AUC
over its seeds, as in the search. Differences from ``baseline`` carry a 95% paired bootstrap
interval (``_bootstrap``); an arm is ``better`` or ``worse`` only when the interval excludes 0.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._bootstrap import bootstrap_deltas, conclusion
from ._format import signed
from ._trials import TrialRecord, pick_best_synthetic

ARMS = ("baseline", "reweighted", "oversample", "eda", "best")
VERDICT_SEED_OFFSET = 1000
"""Verdict seeds are ``seed + 1000 + k``: never a seed a search trial trained with."""

ARM_WORDS = {
    "baseline": "no augmentation",
    "reweighted": "class-balanced weights",
    "oversample": "oversampling",
    "eda": "EDA word edits",
    "best": "synthetic data",
}


@dataclass
class Arm:
    name: str
    texts: list[str]
    y: np.ndarray
    weights: np.ndarray
    n_real: int
    params: dict[str, Any]
    test_probs: np.ndarray | None = None
    """(seeds, n_test, classes) at the chosen epoch."""
    epoch: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)


def _trial_checkpoint(r: TrialRecord) -> Path | None:
    if r.best_checkpoint is not None:
        return r.best_checkpoint
    kept = sorted(c for c in r.path.glob("checkpoint_*") if (c / "synthetic.csv").is_file())
    return kept[-1] if kept else None


def build_arms(cfg, data, best: TrialRecord | None, best_params: dict[str, Any]) -> list[Arm]:
    from trainables import TrainingMix, balanced_class_weights, read_synthetic

    from ._controls import eda_texts, oversample

    real_texts, real_y = data.train.texts, data.train.y
    base = TrainingMix.build(real_texts, real_y)
    arms = [
        Arm("baseline", base.texts, base.y, base.weights, base.n_real, {"n_synthetic": 0}),
        Arm(
            "reweighted",
            base.texts,
            base.y,
            balanced_class_weights(real_y),
            base.n_real,
            {"n_synthetic": 0, "class_weights": "balanced"},
        ),
    ]
    if best is None:
        return arms
    ckpt = _trial_checkpoint(best)
    if ckpt is None:
        return arms
    synth = read_synthetic(ckpt / "synthetic.csv", data.labels)
    real_ratio = float(best_params.get("real_ratio", 1.0))
    cap = cfg.search.max_synthetic_weight
    counts = {i: int((synth.y == i).sum()) for i in range(len(data.labels))}
    best_mix = TrainingMix.build(real_texts, real_y, synth.texts, synth.y, real_ratio, cap)
    shared = {"n_synthetic": len(synth.texts), "real_ratio": real_ratio, "real_share": best_mix.real_share}
    seed = cfg.seed + VERDICT_SEED_OFFSET
    over_t, over_y = oversample(real_texts, real_y, counts, seed)
    eda_t, eda_y = eda_texts(real_texts, real_y, counts, seed, cfg.eval.eda_alpha)
    for name, (texts, ys) in (("oversample", (over_t, over_y)), ("eda", (eda_t, eda_y))):
        mix = TrainingMix.build(real_texts, real_y, texts, ys, real_ratio, cap)
        arms.append(Arm(name, mix.texts, mix.y, mix.weights, mix.n_real, {**shared, "n_synthetic": len(texts)}))
    arms.append(
        Arm(
            "best",
            best_mix.texts,
            best_mix.y,
            best_mix.weights,
            best_mix.n_real,
            {**best_params, **shared, "trial": best.number, "trial_id": best.trial_id},
        )
    )
    return arms


def _train_arm(arm: Arm, settings, labels, seeds, inputs, val_y, test_y, dim, device, positive) -> None:
    """Train the arm's seeds in lockstep; keep the test probabilities of the best mean-validation epoch."""
    from trainables import Repeats, auc

    train_in, val_in, test_in = inputs
    clf = Repeats.build(settings, labels, seeds, dim, device)
    best = -math.inf
    for epoch in range(1, settings.epochs + 1):
        clf.fit_epoch(train_in, arm.y, arm.weights)
        val = float(np.mean([auc(val_y, p) for p in clf.predict_proba(val_in)]))
        if math.isfinite(val) and val > best:
            best, arm.epoch = val, epoch
            arm.test_probs = np.stack(clf.predict_proba(test_in))
    arm.metrics["val_auc_mean"] = best


def _arm_metrics(arm: Arm, test_y: np.ndarray, labels: list[str], positive: int | None) -> dict[str, Any]:
    """Test metrics averaged over the arm's seeds, as a trial averages its repeats on validation."""
    from trainables import classification_metrics, mean_metrics

    m = mean_metrics([classification_metrics(test_y, p, labels, positive) for p in arm.test_probs])
    out: dict[str, Any] = {
        "params": arm.params,
        "epoch": arm.epoch,
        "val_auc_mean": arm.metrics.get("val_auc_mean"),
        "test_auc_mean": m["auc"],
        "test_auc_sd": m["auc_sd"],
    }
    for k in ("precision", "recall", "f1", "positive_precision", "positive_recall", "positive_f1"):
        if k in m:
            out[k] = m[k]
    return out


def run_verdict(cfg, data, settings, records: list[TrialRecord], progress=None) -> dict[str, Any]:
    """Retrain the arms, score them on the test split, return ``summary.json``'s ``verdict``.

    ``settings`` (``trainables.ClassifierSettings``) builds every arm's classifiers as the trials did.
    """
    import torch

    from ._trials import trial_params

    t0 = time.perf_counter()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    best = pick_best_synthetic(records)
    arms = build_arms(cfg, data, best, trial_params(best) if best else {})
    seeds = [cfg.seed + VERDICT_SEED_OFFSET + k for k in range(cfg.eval.verdict_seeds)]
    device = "cuda" if cfg.resources.trial.gpus > 0 and torch.cuda.is_available() else "cpu"
    val_y, test_y = np.asarray(data.validation.y), np.asarray(data.test.y)

    if settings.mode == "head":
        from trainables import FrozenEncoder

        encoder = FrozenEncoder(
            settings.path, settings.hash, settings.max_length, cfg.cache_dir / "features.sqlite", device
        )
        try:
            val_in, test_in = encoder.features(data.validation.texts), encoder.features(data.test.texts)
            dim = encoder.dim
            train_ins = [encoder.features(a.texts) for a in arms]
        finally:
            encoder.close()
    else:
        val_in, test_in, dim = data.validation.texts, data.test.texts, 0
        train_ins = [a.texts for a in arms]

    for i, (arm, train_in) in enumerate(zip(arms, train_ins)):
        if progress:
            progress(f"verdict: training {arm.name} ({i + 1}/{len(arms)}), {len(seeds)} seeds")
        _train_arm(
            arm, settings, data.labels, seeds, (train_in, val_in, test_in), val_y, test_y, dim, device, data.positive
        )

    intervals = bootstrap_deltas(
        test_y, {a.name: a.test_probs for a in arms}, "baseline", cfg.eval.bootstrap, seed=cfg.seed
    )
    out_arms: dict[str, Any] = {}
    for arm in arms:
        entry = _arm_metrics(arm, test_y, data.labels, data.positive)
        entry["delta_auc"] = intervals[arm.name].as_dict()
        entry["conclusion"] = "reference" if arm.name == "baseline" else conclusion(intervals[arm.name])
        out_arms[arm.name] = entry
    verdict = {
        "seeds": len(seeds),
        "seed_values": seeds,
        "bootstrap": cfg.eval.bootstrap,
        "confidence": 0.95,
        "n_test": len(test_y),
        "positive_label": data.positive_label,
        "conclusion": out_arms["best"]["conclusion"] if "best" in out_arms else "no synthetic trial finished",
        "arms": out_arms,
        "verdict_s": time.perf_counter() - t0,
    }
    verdict["sentence"] = verdict_sentence(verdict, cfg)
    return verdict


def _sentence_case(words: str) -> str:
    """First letter up, the rest as written (``EDA word edits`` stays so)."""
    return words[:1].upper() + words[1:]


def _ci(d: dict[str, Any]) -> str:
    lo, hi = d["ci95"]
    return f"{signed(d['mean'])} [{signed(lo)}, {signed(hi)}]"


_MEANING = {
    "better": "it helps",
    "worse": "it hurts",
    "no evidence": "no evidence that it helps",
}


def verdict_sentence(verdict: dict[str, Any], cfg) -> str:
    """The verdict in plain words, with every difference's interval."""
    arms = verdict["arms"]
    if "best" not in arms:
        return (
            "No trial with synthetic data finished, so there is nothing to compare with the baseline "
            f"(test AUC {arms['baseline']['test_auc_mean']:.3f})."
        )
    b = arms["best"]
    prm = b["params"]
    gen_name = str(prm.get("generator") or "")
    configs = cfg.generator_configs()
    model = configs[gen_name].model if gen_name in configs else cfg.generator.model
    what = (
        f"Synthetic data ({model}, T {prm.get('temperature')}, {prm['n_synthetic']} examples, "
        f"real share {prm['real_share']:.2f})"
    )
    words = f"{what} changed test AUC by {_ci(b['delta_auc'])} against no augmentation: {_MEANING[b['conclusion']]}."
    others = "; ".join(
        f"{_sentence_case(ARM_WORDS[name])}: {_ci(arms[name]['delta_auc'])}"
        for name in ("oversample", "eda", "reweighted")
        if name in arms
    )
    cheap = [n for n in ("reweighted", "oversample", "eda") if n in arms]
    rival = max(cheap, key=lambda n: arms[n]["delta_auc"]["mean"], default=None)
    if rival is not None and arms[rival]["delta_auc"]["mean"] >= b["delta_auc"]["mean"]:
        others += f". A cheap control did at least as well ({ARM_WORDS[rival]})"
    base = arms["baseline"]
    key = "positive_" if "positive_recall" in b else ""
    which = f" of {verdict['positive_label']}" if key else " (macro)"
    shift = (
        f"Recall{which} {signed(b[key + 'recall'] - base[key + 'recall'])}, "
        f"precision {signed(b[key + 'precision'] - base[key + 'precision'])}."
    )
    return f"{words} {others}. {shift}"
