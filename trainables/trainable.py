"""The Ray Tune trainable: one trial = one synthetic mix = one freshly trained classifier."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from generators import Reject

from ._classifier import Repeats, TrainingMix, write_trial_meta
from ._layout import SYNTHETIC_FILE, TRIAL_META_FILE
from ._metrics import OPTIONAL_METRICS, classification_metrics, texts_per_label
from ._params import TrialData, TrialParams, TrialSettings

PoolFetcher = Callable[[str, float, int], Any]
"""(label, temperature, n) -> PoolResult; the Ray service in a sweep, a fake in unit tests."""

FAIL_ONCE_ENV = "SYNTHSWEEP_TEST_FAIL_ONCE_DIR"

# A Tune worker unpickles this module before it restores a trial: its "Restored on <ip> from
# checkpoint" and per-epoch "Checkpoint successfully created" lines would bury the progress output.
for _name in ("ray.tune.trainable.trainable", "ray.train"):
    logging.getLogger(_name).setLevel(logging.WARNING)


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


HOLD_ENV = "SYNTHSWEEP_TEST_HOLD_FILE"


def held_while_file_exists(config: dict, epoch: int, timeout_s: float = 600.0) -> None:
    """Test hook, inert unless ``SYNTHSWEEP_TEST_HOLD_FILE`` names a file.

    A trial with synthetic data waits after reporting its first epoch (with its checkpoint) for as
    long as that file exists, so a test can act (kill the node it runs on) at a known point
    instead of racing a sweep whose trials take a fraction of a second.
    """
    path = os.environ.get(HOLD_ENV)
    if not path or epoch != 1 or not int(float(config.get("n_synthetic", 0) or 0)):
        return
    deadline = time.monotonic() + timeout_s
    while Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def mark_finished(ckpt: Path, epochs: int) -> None:
    """Record in the checkpoint's trial.json that its trial trained all ``epochs``."""
    meta = json.loads((ckpt / TRIAL_META_FILE).read_text())
    write_trial_meta(ckpt, {**meta, "finished_epochs": epochs})


def resume_meta(ckpt: Path | None, params: TrialParams) -> dict | None:
    """The checkpoint's trial.json when it is this trial's, else None (start from scratch)."""
    if ckpt is None or not (Path(ckpt) / TRIAL_META_FILE).is_file():
        return None
    meta = json.loads((Path(ckpt) / TRIAL_META_FILE).read_text())
    return meta if meta.get("params") == params.to_dict() else None


@dataclass
class SyntheticSet:
    """A trial's synthetic examples and where they came from."""

    texts: list[str] = field(default_factory=list)
    y: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    generated: int = 0
    from_cache: int = 0
    attempts: int = 0
    new_tokens: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Filter counts per pool (label@temperature, ``/paraphrase`` added for paraphrases); the summary
    keeps each pool's largest view."""
    sources: list[str] = field(default_factory=list)
    """Per text, the id of the real example it paraphrases (empty: generated, or read from a file)."""

    def keep(self, mask: np.ndarray) -> SyntheticSet:
        sources = [s for s, k in zip(self.sources, mask) if k] if self.sources else []
        return replace(self, texts=[t for t, k in zip(self.texts, mask) if k], y=self.y[mask], sources=sources)


def example_id(text: str) -> str:
    """A synthetic example's id: its content hash (the same text is the same example in any run)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def label_shares(data: TrialData, how: str) -> dict[str, float]:
    """Each pool's share of a trial's synthetic examples (``search.synthetic_labels``).

    ``balanced`` (and ``single``): each label alike. ``proportional``: each label by its real training
    count. ``rare_first``: each label by the inverse of its real count (a label with half the texts
    gets twice the synthetic ones). ``observed`` (label sets): each label set the training texts carry,
    by how many carry it.
    """
    y = np.asarray(data.train_y)
    counts = texts_per_label(y, len(data.labels))
    if how == "observed":
        carried = Counter(tuple(np.flatnonzero(r).tolist()) for r in y)
        return {key: float(carried[tuple(unit)]) for key, unit in data.units.items() if carried[tuple(unit)]}
    if how == "proportional":
        return {lab: float(counts[i]) for i, lab in enumerate(data.labels)}
    if how == "rare_first":
        return {lab: 1.0 / max(1, int(counts[i])) for i, lab in enumerate(data.labels)}
    return dict.fromkeys(data.labels, 1.0)


def synthetic_counts(params: TrialParams, data: TrialData, how: str) -> dict[str, int]:
    """How many synthetic examples of each pool (a label, or a label set) the trial asks for."""
    from generators import split_counts

    return split_counts(params.n_synthetic, label_shares(data, how))


def _unit_rows(data: TrialData, key: str, n: int) -> np.ndarray:
    """The labels of ``n`` examples of pool ``key``: class indices, or 0/1 rows of its label set."""
    if not data.multilabel:
        return np.full(n, data.labels.index(key), dtype=int)
    row = np.zeros(len(data.labels), dtype=int)
    row[data.units[key]] = 1
    return np.tile(row, (n, 1))


def fetch_synthetic(params: TrialParams, data: TrialData, fetch: PoolFetcher, how: str = "balanced") -> SyntheticSet:
    """The trial's synthetic set from the pool service, pool by pool (``params.synthetic_labels``, else ``how``)."""
    synth = SyntheticSet()
    if params.n_synthetic == 0:
        return synth
    ys: list[np.ndarray] = [_unit_rows(data, data.labels[0], 0)]  # no rows, the right shape: concatenate needs one
    for label, n in synthetic_counts(params, data, params.synthetic_labels or how).items():
        if n == 0:
            continue
        pool = fetch(label, params.temperature, n)
        synth.texts.extend(pool.texts)
        synth.sources.extend(pool.sources or [""] * len(pool.texts))
        ys.append(_unit_rows(data, label, len(pool.texts)))
        synth.generated += pool.generated
        synth.from_cache += pool.from_cache
        synth.attempts += pool.attempts
        synth.new_tokens += pool.new_tokens
        for reason, c in pool.rejected.items():
            synth.rejected[reason] = synth.rejected.get(reason, 0) + c
        method = getattr(pool, "augment", "generate")
        key = f"{label}@{params.temperature}" + ("/paraphrase" if method == "paraphrase" else "")
        synth.pools[key] = {
            "label": label,
            "temperature": params.temperature,
            "augment": method,
            "attempts": pool.attempts,
            "accepted": pool.attempts - sum(pool.rejected.values()),
            "rejected": dict(pool.rejected),
        }
    synth.y = np.concatenate(ys)
    return synth


def read_synthetic(path: Path, labels: list[str], multilabel: bool = False) -> SyntheticSet:
    """The synthetic set a checkpoint recorded (``synthetic.csv``): what the trial trained on. Label sets
    are recorded as JSON lists of label names."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    if multilabel:
        y = np.zeros((len(rows), len(labels)), dtype=int)
        for k, r in enumerate(rows):
            y[k, [labels.index(lab) for lab in json.loads(r["label"])]] = 1
    else:
        y = np.array([labels.index(r["label"]) for r in rows], dtype=int)
    return SyntheticSet(
        texts=texts,
        y=y,
        from_cache=len(texts),
        sources=[r.get("source_id") or "" for r in rows],
    )


def drop_inconsistent(synth: SyntheticSet, data: TrialData, min_prob: float) -> SyntheticSet:
    """Drop synthetic examples whose intended label a real-data classifier confidently rejects.

    The classifier sees the real training split only (``data.train_texts``), never validation.
    Dropped examples are not replaced: the trial trains on fewer, as its counts report.
    """
    from generators import LabelConsistency

    if not synth.texts:
        return synth
    # One label per text: the config refuses this filter for label sets.
    clf = LabelConsistency().fit(data.train_texts, data.train_y, len(data.labels))  # type: ignore[arg-type]
    keep = clf.keep(synth.texts, synth.y, min_prob)
    out = synth.keep(keep)
    out.rejected = {**synth.rejected, Reject.LABEL_INCONSISTENT: int((~keep).sum())}
    return out


def trial_device(settings: TrialSettings) -> str:
    """``cuda`` when the trial was given a GPU; a GPU asked for but unusable here is an error, not a CPU run."""
    import torch

    if settings.gpus <= 0:
        return "cpu"
    if not torch.cuda.is_available():
        import socket

        raise RuntimeError(
            f"resources.trial.gpus={settings.gpus:g} but torch {torch.__version__} on node {socket.gethostname()} "
            "has no usable CUDA device"
        )
    return "cuda"


def model_inputs(
    settings: TrialSettings,
    texts: list[str],
    device: str,
    *more: list[str],
    progress_factory: Callable[[int], Any] | None = None,
) -> tuple:
    """What the classifiers read: cached pooled features in head mode (and their width), else the texts."""
    c = settings.classifier
    if c.mode != "head":
        return (texts, *more, 0)
    from ._features import FrozenEncoder

    if settings.feature_store:  # a sweep: the store actor on the driver's node owns the SQLite file
        from ._feature_store import RemoteFeatureCache
        from ._features import feature_key

        encoder = FrozenEncoder(c.path, c.hash, c.max_length, None, device)
        encoder.cache = RemoteFeatureCache(settings.feature_store, feature_key(c.hash, c.max_length, encoder.pooling))
    else:
        encoder = FrozenEncoder(c.path, c.hash, c.max_length, settings.feature_cache, device)
    try:
        feats = [encoder.features(t, progress_factory) for t in (texts, *more)]
        return (*feats, encoder.dim)
    finally:
        encoder.close()


def mean_metrics(per_repeat: list[dict[str, Any]]) -> dict[str, Any]:
    """Validation metrics averaged over repeats, with the SD of the AUC between them."""
    aucs = np.array([m["auc"] for m in per_repeat], dtype=float)
    finite = aucs[np.isfinite(aucs)]
    out = {
        "auc": float(finite.mean()) if len(finite) else float("nan"),
        "auc_sd": float(finite.std(ddof=1)) if len(finite) > 1 else 0.0,
        "auc_repeats": [float(a) for a in aucs],
    }
    for k in ("precision", "recall", "f1", "accuracy"):
        out[k] = float(np.mean([m[k] for m in per_repeat]))
    for k in OPTIONAL_METRICS:
        if k in per_repeat[0]:
            out[k] = float(np.mean([m[k] for m in per_repeat]))
    out["per_class"] = {
        lab: {k: float(np.mean([m["per_class"][lab][k] for m in per_repeat])) for k in ("precision", "recall", "f1")}
        | {"support": per_repeat[0]["per_class"][lab]["support"]}
        for lab in per_repeat[0]["per_class"]
    }
    return out


def trial_synthetic(
    params: TrialParams, data: TrialData, settings: TrialSettings, fetch: PoolFetcher, recorded: Path | None
) -> SyntheticSet:
    """The trial's synthetic set: the one a checkpoint recorded (retry, resume), else fresh pools, filtered."""
    if recorded is not None and (recorded / SYNTHETIC_FILE).is_file():
        return read_synthetic(recorded / SYNTHETIC_FILE, data.labels, data.multilabel)
    synth = fetch_synthetic(params, data, fetch, settings.synthetic_labels)
    min_prob = params.consistency_min_prob if params.consistency_min_prob is not None else settings.consistency_min_prob
    return drop_inconsistent(synth, data, min_prob) if min_prob is not None else synth


def trial_counts(settings: TrialSettings, mix: TrainingMix, synth: SyntheticSet, labels: list[str]) -> dict[str, Any]:
    """What the trial trained on and where its synthetic examples came from (reported every epoch)."""
    return {
        "repeats": settings.repeats,
        "n_real": mix.n_real,
        # The trial's synthetic set (what its ids record); with real_ratio 1 they carry no weight and
        # TrainingMix leaves them out of the batches, which real_share shows.
        "n_synthetic_used": len(synth.texts),
        "n_synthetic_used_by_label": dict(zip(labels, texts_per_label(synth.y, len(labels)).tolist())),
        "real_share": mix.real_share,
        "synthetic_generated": synth.generated,
        "synthetic_from_cache": synth.from_cache,
        "synthetic_attempts": synth.attempts,
        "synthetic_rejected": sum(synth.rejected.values()),
        **{f"rejected_{reason}": synth.rejected.get(reason, 0) for reason in Reject.ALL},
        "synthetic_pools": synth.pools,
        "generated_tokens": synth.new_tokens,
    }


def epoch_metrics(epoch: int, loss: float, m: dict[str, Any], best: float, best_sd: float) -> dict[str, Any]:
    """One epoch's reported row: validation metrics averaged over the repeats, and the best so far."""
    return {
        "epoch": epoch,
        "train_loss": loss,
        "val_auc": m["auc"],
        "val_auc_sd": m["auc_sd"],
        "val_auc_repeats": m["auc_repeats"],
        "best_val_auc": best,
        "best_val_auc_sd": best_sd,
        "val_precision": m["precision"],
        "val_recall": m["recall"],
        "val_f1": m["f1"],
        "val_accuracy": m["accuracy"],
        "val_per_class": m["per_class"],
        **{f"val_{k}": m[k] for k in OPTIONAL_METRICS if k in m},
    }


def save_checkpoint(
    ckpt: Path,
    clf: Repeats,
    params: TrialParams,
    settings: TrialSettings,
    data: TrialData,
    meta: dict[str, Any],
    synth: SyntheticSet,
) -> None:
    """Every repeat's state, ``trial.json`` (what export and resume read) and the exact synthetic set."""
    c = settings.classifier
    clf.save(ckpt)
    write_trial_meta(
        ckpt,
        {
            "params": params.to_dict(),
            "labels": data.labels,
            "mode": c.mode,
            "classifier_path": c.recorded_path or c.path,
            "classifier_hash": c.hash,
            "max_length": c.max_length,
            "seeds": settings.seeds,
            **({"multilabel": True} if c.multilabel else {}),
            **meta,
            "synthetic_ids": [example_id(t) for t in synth.texts],
        },
    )
    _write_synthetic(ckpt / SYNTHETIC_FILE, synth, data.labels)


@dataclass
class PreparedTrial:
    """A trial's inputs and fresh classifiers, prepared once before its first epoch."""

    params: TrialParams
    data: TrialData
    settings: TrialSettings
    synth: SyntheticSet
    mix: TrainingMix
    counts: dict[str, Any]
    """``trial_counts`` and ``generation_s``, part of every reported row."""
    clf: Repeats
    train_in: Any
    val_in: Any
    started: float
    """``time.perf_counter()`` when the synthetic set was ready: the reported ``train_s`` counts from it."""


def prepare_trial(
    params: TrialParams,
    data: TrialData,
    settings: TrialSettings,
    fetch: PoolFetcher,
    progress_factory: Callable[[int], Any] | None,
    recorded: Path | None,
) -> PreparedTrial:
    """The trial's synthetic set (``recorded``'s when resuming), its training mix, model inputs and classifiers."""
    device = trial_device(settings)
    t0 = time.perf_counter()
    synth = trial_synthetic(params, data, settings, fetch, recorded)
    mix = TrainingMix.build(
        data.train_texts, data.train_y, synth.texts, synth.y, params.real_ratio, settings.max_synthetic_weight
    )
    counts = {**trial_counts(settings, mix, synth, data.labels), "generation_s": time.perf_counter() - t0}

    t1 = time.perf_counter()
    train_in, val_in, dim = model_inputs(
        settings, mix.texts, device, list(data.val_texts), progress_factory=progress_factory
    )
    clf = Repeats.build(settings.classifier, data.labels, settings.seeds, dim, device)
    return PreparedTrial(params, data, settings, synth, mix, counts, clf, train_in, val_in, t1)


def resume_point(clf: Repeats, meta: dict | None, ckpt: Path | None) -> tuple[int, float, float]:
    """(first epoch to train, best mean validation AUC so far, its SD).

    After the checkpoint's epoch when ``clf`` could load its state from it (head mode), else from
    the first epoch with nothing to beat.
    """
    if meta is None or not clf.load(Path(ckpt)):
        return 1, -np.inf, float("nan")
    prev = meta.get("best_val_auc", meta.get("val_auc"))
    best = prev if isinstance(prev, float) and math.isfinite(prev) else -np.inf
    return meta["epoch"] + 1, best, meta.get("best_val_auc_sd", float("nan"))


class BestEpoch:
    """The best epoch so far: its mean validation AUC and its checkpoint, and when Tune gets that.

    The checkpoint is the best epoch (export wants it; resume continues after it, later epochs are
    recomputed exactly). It is written to local disk when the mean validation AUC improves and
    handed to Tune at once, or, within ``interval_s`` of the last one handed over, with a later
    report: Tune rewrites its whole experiment state per checkpoint. The last report always
    carries it, marked finished, so a resume never trains the trial again.
    """

    def __init__(self, scratch: Path, interval_s: float, auc: float, sd: float):
        self.scratch, self.interval_s = scratch, interval_s
        self.auc, self.sd = auc, sd
        self.dir: Path | None = None
        self.handed, self.handed_at = True, -math.inf

    def restore(self, ckpt: Path, epoch: int) -> None:
        """Keep a copy of the resumed checkpoint (of ``epoch``) as the best until an epoch beats it."""
        self.dir = Path(shutil.copytree(ckpt, self.scratch / f"epoch-{epoch}"))

    def improves(self, m: dict[str, Any]) -> bool:
        """Whether ``m``'s mean AUC beats the best (a tie does not); if it does, it becomes the best."""
        improved = bool(np.isfinite(m["auc"]) and m["auc"] > self.auc)
        if improved:
            self.auc, self.sd = m["auc"], m["auc_sd"]
        return improved

    def new_dir(self, epoch: int) -> Path:
        """An empty directory for ``epoch``'s checkpoint, in place of the kept one; Tune has not got it yet."""
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = self.scratch / f"epoch-{epoch}"
        self.dir.mkdir()
        self.handed = False
        return self.dir

    def report(self, report: Callable[[dict, Path | None], None], row: dict, epoch: int, last: bool) -> None:
        """Report the epoch's row, with the kept checkpoint when it is due or the epoch is the last."""
        due = not self.handed and time.perf_counter() - self.handed_at >= self.interval_s
        if self.dir is not None and last:
            mark_finished(self.dir, epoch)
            report(row, self.dir)
        elif self.dir is not None and due:
            report(row, self.dir)
            self.handed, self.handed_at = True, time.perf_counter()
        else:
            report(row, None)


def train_epochs(
    trial: PreparedTrial, first: int, best: BestEpoch, report: Callable[[dict, Path | None], None]
) -> None:
    """Train and score epochs ``first`` to the last, reporting each; an improved epoch is checkpointed."""
    clf, mix, data, counts = trial.clf, trial.mix, trial.data, trial.counts
    epochs = trial.settings.classifier.epochs
    val_y = np.asarray(data.val_y)
    for epoch in range(first, epochs + 1):
        loss = clf.fit_epoch(trial.train_in, mix.y, mix.weights)
        probs = clf.predict_proba(trial.val_in)
        m = mean_metrics([classification_metrics(val_y, p, data.labels, data.positive) for p in probs])
        improved = best.improves(m)
        row = {
            **epoch_metrics(epoch, loss, m, best.auc, best.sd),
            "train_s": time.perf_counter() - trial.started,
            **counts,
        }
        if improved:
            state = {
                "epoch": epoch,
                "val_auc": m["auc"],
                "best_val_auc": best.auc,
                "best_val_auc_sd": best.sd,
                "real_share": mix.real_share,
                "n_synthetic_used_by_label": counts["n_synthetic_used_by_label"],
            }
            save_checkpoint(best.new_dir(epoch), clf, trial.params, trial.settings, data, state, trial.synth)
        best.report(report, row, epoch, last=epoch == epochs)


def run_trial(
    params: TrialParams,
    data: TrialData,
    settings: TrialSettings,
    fetch: PoolFetcher,
    report: Callable[[dict, Path | None], None],
    progress_factory: Callable[[int], Any] | None = None,
    resume_from: Path | None = None,
) -> None:
    """Train ``settings.repeats`` classifiers on the trial's mix; ``report(metrics, checkpoint_dir)`` every epoch
    (``checkpoint_dir`` None when the epoch did not improve on the best and is not the last).

    The reported ``val_auc`` is the mean over the repeats (what Optuna optimises), ``val_auc_sd``
    their spread. ``resume_from`` is the trial's latest checkpoint when Tune restarts it (a retry
    after a failure, a resumed sweep): the trial retrains on exactly the synthetic set that
    checkpoint recorded, and head mode continues after its epoch with the saved optimizer and
    shuffling state, so the result equals an uninterrupted trial; lora/full start over.
    """
    import torch

    meta = resume_meta(resume_from, params)
    if meta is not None and max(meta["epoch"], meta.get("finished_epochs", 0)) >= settings.classifier.epochs:
        return  # it had finished: only the news was lost with the driver; Tune keeps its last result

    torch.set_num_threads(max(1, int(settings.cpus)))  # Ray sets OMP_NUM_THREADS=1 in workers
    recorded = Path(resume_from) if meta is not None else None
    trial = prepare_trial(params, data, settings, fetch, progress_factory, recorded)
    first, best_auc, best_sd = resume_point(trial.clf, meta, recorded)
    with tempfile.TemporaryDirectory() as scratch:
        best = BestEpoch(Path(scratch), settings.checkpoint_interval_s, best_auc, best_sd)
        if meta is not None and first > 1:
            best.restore(recorded, meta["epoch"])
        train_epochs(trial, first, best, report)


def _write_synthetic(path: Path, synth: SyntheticSet, labels: list[str]) -> None:
    """One row per example: its id, label and text, and the id of the real example it paraphrases
    (empty for a generated one)."""
    sources = synth.sources or [""] * len(synth.texts)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "label", "text", "source_id"])
        for t, y, src in zip(synth.texts, synth.y, sources):
            label = json.dumps([labels[i] for i in np.flatnonzero(y)]) if np.ndim(y) else labels[int(y)]
            writer.writerow([example_id(t), label, t, src])


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

    from common import progress_bar
    from generators import pool_from_service

    os.environ.update(settings.env)
    # A bundled classifier travels as its name and is found (or unpacked) in this node's own cache.
    settings = replace(settings, classifier=settings.classifier.on_this_node())
    reported_s = 0.0  # time blocked in tune.report so far (bench/sweep_overhead.py counts it as Tune's)

    def report(metrics: dict, ckpt: Path | None) -> None:
        nonlocal reported_s
        metrics = {**metrics, "tune_report_s": reported_s}
        if metrics["epoch"] >= settings.classifier.epochs:
            # The last epoch ends the trial now: without ``done`` Tune notices the function's return
            # by polling (up to 0.2 s), then a round trip more, before the worker takes the next trial.
            metrics["done"] = True
        t0 = time.perf_counter()
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(ckpt)) if ckpt is not None else None)
        reported_s += time.perf_counter() - t0
        planted_failure(config, metrics["epoch"])
        held_while_file_exists(config, metrics["epoch"])

    latest = tune.get_checkpoint()  # set when Tune retries or resumes this trial
    try:
        with latest.as_directory() if latest is not None else nullcontext() as resume_from:
            run_trial(
                params,
                data,
                settings,
                fetch=lambda label, t, n: pool_from_service(
                    settings.service_for(params.generator), label, t, n, params.augment
                ),
                report=report,
                progress_factory=lambda total: progress_bar(f"{trial_label()}embedding texts", total=total),
                resume_from=Path(resume_from) if resume_from else None,
            )
    finally:
        release_gpu_memory()


def release_gpu_memory() -> None:
    """Hand the GPU memory a finished (or failed) trial held back to the device.

    Tune may reuse the trial's worker process for the next trial, and trials sharing a GPU
    (``resources.trial.gpus`` below 1) need what the others released: torch's caching allocator
    keeps freed blocks until ``empty_cache``.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not (torch.cuda.is_available() and torch.cuda.is_initialized()):
        return  # nothing on a GPU; a full collection costs a reused worker 0.2 s per trial
    import gc

    gc.collect()
    torch.cuda.empty_cache()
