"""The Ray Tune trainable: one trial = one synthetic mix = one freshly trained classifier."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from generators._cleaning import Reject

from ._classifier import HeadClassifier, TunedClassifier, load_fresh, mix_weights, write_trial_meta
from ._metrics import classification_metrics
from ._params import TrialData, TrialParams, TrialSettings

PoolFetcher = Callable[[str, float, int], Any]
"""(label, temperature, n) -> PoolResult; the Ray service in a sweep, a fake in unit tests."""

FAIL_ONCE_ENV = "SYNTHSWEEP_TEST_FAIL_ONCE_DIR"


def planted_failure(config: dict, epoch: int) -> None:
    """Test hook, inert unless ``SYNTHSWEEP_TEST_FAIL_ONCE_DIR`` names a directory.

    Then every trial raises once, right after reporting its first epoch, and leaves a marker
    file named after its Tune config, so the retry (or a resumed sweep, even one that restarts
    the trial under a new id) passes: the marker-file pattern of Ray Tune's own tests.
    """
    root = os.environ.get(FAIL_ONCE_ENV)
    if not root or epoch != 1:
        return
    key = json.dumps(config, sort_keys=True, default=str)
    marker = Path(root) / f"failed-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    raise RuntimeError(f"planted failure ({FAIL_ONCE_ENV} test hook)")


def resume_meta(ckpt: Path | None, params: TrialParams) -> dict | None:
    """The checkpoint's trial.json when it is this trial's, else None (start from scratch)."""
    if ckpt is None or not (Path(ckpt) / "trial.json").is_file():
        return None
    meta = json.loads((Path(ckpt) / "trial.json").read_text())
    return meta if meta.get("params") == params.to_dict() else None


def fetch_synthetic(params: TrialParams, labels: list[str], fetch: PoolFetcher) -> dict[str, Any]:
    """A label-balanced synthetic set for the trial, with where each example came from."""
    from generators import balanced_counts

    texts, ys = [], []
    stats: dict[str, Any] = {"generated": 0, "from_cache": 0, "attempts": 0, "rejected": {}, "new_tokens": 0}
    stats["pools"] = {}
    if params.n_synthetic == 0:
        return {"texts": texts, "y": np.array([], dtype=int), **stats}
    for i, (label, n) in enumerate(balanced_counts(params.n_synthetic, labels).items()):
        if n == 0:
            continue
        pool = fetch(label, params.temperature, n)
        texts.extend(pool.texts)
        ys.extend([i] * len(pool.texts))
        stats["generated"] += pool.generated
        stats["from_cache"] += pool.from_cache
        stats["attempts"] += pool.attempts
        stats["new_tokens"] += pool.new_tokens
        for reason, c in pool.rejected.items():
            stats["rejected"][reason] = stats["rejected"].get(reason, 0) + c
        # Per-pool filter counts; the summary keeps each pool's largest (most replayed) view.
        stats["pools"][f"{label}@{params.temperature}"] = {
            "label": label,
            "temperature": params.temperature,
            "attempts": pool.attempts,
            "accepted": pool.attempts - sum(pool.rejected.values()),
            "rejected": dict(pool.rejected),
        }
    return {"texts": texts, "y": np.array(ys, dtype=int), **stats}


def drop_inconsistent(synth: dict[str, Any], data: TrialData, min_prob: float) -> dict[str, Any]:
    """Drop synthetic examples whose intended label a real-data classifier confidently rejects.

    The classifier sees the real training split only (``data.train_texts``), never validation.
    Dropped examples are not replaced: the trial trains on fewer, as its counts report.
    """
    from generators import LabelConsistency

    if not synth["texts"]:
        return synth
    clf = LabelConsistency().fit(data.train_texts, data.train_y, len(data.labels))
    keep = clf.keep(synth["texts"], synth["y"], min_prob)
    rejected = dict(synth["rejected"])
    rejected[Reject.LABEL_INCONSISTENT] = int((~keep).sum())
    return {
        **synth,
        "texts": [t for t, k in zip(synth["texts"], keep) if k],
        "y": synth["y"][keep],
        "rejected": rejected,
    }


def run_trial(
    params: TrialParams,
    data: TrialData,
    settings: TrialSettings,
    fetch: PoolFetcher,
    report: Callable[[dict, Path], None],
    progress_factory: Callable[[int], Any] | None = None,
    resume_from: Path | None = None,
) -> None:
    """Train one classifier on the trial's mix and ``report(metrics, checkpoint_dir)`` every epoch.

    ``resume_from`` is the trial's latest checkpoint when Tune restarts it (a retry after a
    failure, a resumed sweep): head mode continues after that epoch with the saved optimizer
    and shuffling state, so the result equals an uninterrupted trial; lora/full start over.
    """
    import torch

    meta = resume_meta(resume_from, params)
    if meta is not None and meta["epoch"] >= settings.epochs:
        return  # it had finished: only the news was lost with the driver; Tune keeps its last result

    torch.set_num_threads(max(1, int(settings.cpus)))  # Ray sets OMP_NUM_THREADS=1 in workers
    device = "cuda" if settings.gpus > 0 and torch.cuda.is_available() else "cpu"

    t0 = time.perf_counter()
    synth = fetch_synthetic(params, data.labels, fetch)
    generation_s = time.perf_counter() - t0
    min_prob = params.consistency_min_prob if params.consistency_min_prob is not None else settings.consistency_min_prob
    if min_prob is not None:
        synth = drop_inconsistent(synth, data, min_prob)

    texts = list(data.train_texts) + synth["texts"]
    y = np.concatenate([np.asarray(data.train_y, dtype=int), synth["y"]]).astype(np.int64)
    w = mix_weights(len(data.train_texts), len(synth["texts"]), params.real_ratio)
    val_y = np.asarray(data.val_y)

    t1 = time.perf_counter()
    model, tokenizer = load_fresh(settings.classifier_path, data.labels, settings.seed, settings.mode)
    if settings.mode == "head":
        from ._features import FeatureCache, cached_features, feature_key

        cache = FeatureCache(
            settings.feature_cache, feature_key(settings.classifier_hash, settings.max_length, settings.seed)
        )
        model.to(device)
        X = cached_features(cache, model, tokenizer, texts, settings.max_length, device, progress_factory)
        X_val = cached_features(cache, model, tokenizer, data.val_texts, settings.max_length, device, progress_factory)
        cache.close()
        model.to("cpu")
        clf: Any = HeadClassifier(
            model, settings.learning_rate, settings.weight_decay, settings.batch_size, settings.seed
        )
        train_in, val_in = X, X_val
    else:
        clf = TunedClassifier(
            model,
            tokenizer,
            settings.mode,
            settings.learning_rate,
            settings.weight_decay,
            settings.batch_size,
            settings.max_length,
            settings.lora_r,
            settings.seed,
            device,
        )
        train_in, val_in = texts, data.val_texts

    counts = {
        "n_real": len(data.train_texts),
        "n_synthetic_used": len(synth["texts"]),
        "synthetic_generated": synth["generated"],
        "synthetic_from_cache": synth["from_cache"],
        "synthetic_attempts": synth["attempts"],
        "synthetic_rejected": sum(synth["rejected"].values()),
        **{f"rejected_{reason}": synth["rejected"].get(reason, 0) for reason in Reject.ALL},
        "synthetic_pools": synth["pools"],
        "generated_tokens": synth["new_tokens"],
        "generation_s": generation_s,
    }
    best, first = -np.inf, 1
    if meta is not None and clf.load(Path(resume_from)):
        first = meta["epoch"] + 1
        prev = meta.get("best_val_auc", meta.get("val_auc"))
        best = prev if isinstance(prev, float) and math.isfinite(prev) else -np.inf
    for epoch in range(first, settings.epochs + 1):
        loss = clf.fit_epoch(train_in, y, w)
        m = classification_metrics(val_y, clf.predict_proba(val_in), data.labels)
        best = max(best, m["auc"]) if np.isfinite(m["auc"]) else best
        metrics = {
            "epoch": epoch,
            "train_loss": loss,
            "val_auc": m["auc"],
            "best_val_auc": best,
            "val_precision": m["precision"],
            "val_recall": m["recall"],
            "val_f1": m["f1"],
            "val_accuracy": m["accuracy"],
            "val_per_class": m["per_class"],
            "train_s": time.perf_counter() - t1,
            **counts,
        }
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = Path(tmp)
            clf.save(ckpt)
            write_trial_meta(
                ckpt,
                {
                    "params": params.to_dict(),
                    "epoch": epoch,
                    "labels": data.labels,
                    "mode": settings.mode,
                    "classifier_path": settings.classifier_path,
                    "classifier_hash": settings.classifier_hash,
                    "max_length": settings.max_length,
                    "seed": settings.seed,
                    "val_auc": m["auc"],
                    "best_val_auc": best,
                },
            )
            _write_synthetic(ckpt / "synthetic.csv", synth["texts"], synth["y"], data.labels)
            report(metrics, ckpt)


def _write_synthetic(path: Path, texts: list[str], ys: np.ndarray, labels: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        for t, y in zip(texts, ys):
            writer.writerow([labels[int(y)], t])


def trial_label() -> str:
    """``trial 3: `` for the progress bars: the trial's number, as ``status`` and the summary show it."""
    import re

    from ray import tune

    try:
        name = Path(tune.get_context().get_trial_dir()).name
    except Exception:  # not in a Tune trial (a direct call in a test)
        return ""
    m = re.search(r"_[0-9a-f]{8}_(\d+)_", name)
    return f"trial {m.group(1)}: " if m else ""


def train_classifier(config: dict, data: TrialData, settings: TrialSettings) -> None:
    """Ray Tune function trainable (wrap with ``tune.with_parameters(train_classifier, data=..., settings=...)``)."""
    params = TrialParams.from_config(config)

    from ray import tune

    from generators._service import pool_from_service
    from sweep._bars import progress_bar

    os.environ.update(settings.extra.get("env", {}))
    # One "Checkpoint successfully created" line per epoch and trial would bury the progress output.
    logging.getLogger("ray.train").setLevel(logging.WARNING)

    def report(metrics: dict, ckpt: Path) -> None:
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(ckpt)))
        planted_failure(config, metrics["epoch"])

    latest = tune.get_checkpoint()  # set when Tune retries or resumes this trial
    with latest.as_directory() if latest is not None else nullcontext() as resume_from:
        run_trial(
            params,
            data,
            settings,
            fetch=lambda label, t, n: pool_from_service(settings.service_for(params.generator), label, t, n),
            report=report,
            progress_factory=lambda total: progress_bar(f"{trial_label()}embedding texts", total=total),
            resume_from=Path(resume_from) if resume_from else None,
        )
