"""Held-out metrics: AUC (macro one-vs-rest for several classes), precision, recall, F1.

Plain numpy, not ``sklearn.metrics``: importing scikit-learn took 1.2 s in every fresh trial
worker, most of Tune's start-up per worker (``bench/sweep_overhead.py``); the figures match
scikit-learn's (``tests/test_trainable.py`` compares them, ties and absent classes included).
The verdict's bootstrap (``sweep._bootstrap``) scores its resamples with the same ranks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

OPTIONAL_METRICS = (
    "positive_precision",
    "positive_recall",
    "positive_f1",
    "micro_f1",
    "exact_match",
    "f1_tuned",
    "micro_f1_tuned",
)
"""Metrics only some tasks have: the class of interest's (two classes), label sets' (``multilabel_metrics``)."""


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n along the last axis, ties sharing their average rank (scipy's ``rankdata``)."""
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    order = np.argsort(x, axis=-1, kind="stable")
    s = np.take_along_axis(x, order, axis=-1)
    pos = np.broadcast_to(np.arange(n), x.shape)
    starts = np.ones(x.shape, dtype=bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    ends = np.ones(x.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    # Each sorted position's tie group runs from its first to its last position.
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, pos, n - 1), -1), axis=-1), -1)
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=-1)
    return ranks


def binary_auc_rows(positive: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUC of each row of ``scores`` (..., n) for the examples ``positive`` marks (Mann-Whitney,
    from average ranks); NaN where a row lacks either class. The verdict's bootstrap scores all
    its resamples in one call."""
    positive = np.asarray(positive, dtype=bool)
    n_pos = positive.sum(axis=-1)
    n_neg = positive.shape[-1] - n_pos
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((average_ranks(scores) * positive).sum(axis=-1) - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """AUC of ``scores`` for the examples where ``positive`` is true; NaN without both classes."""
    return float(binary_auc_rows(positive, scores))


def auc(y: np.ndarray, probs: np.ndarray) -> float:
    """Binary AUC on the second class's score, else macro one-vs-rest over the classes present;
    label sets (``y`` of shape (n, k)): the macro mean over the labels some texts have and some lack."""
    y = np.asarray(y)
    if y.ndim == 2:
        per_label = [binary_auc(y[:, c] == 1, probs[:, c]) for c in range(y.shape[1])]
        scored = [a for a in per_label if not np.isnan(a)]
        return float(np.mean(scored)) if scored else float("nan")
    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    if probs.shape[1] == 2:
        return binary_auc(y == 1, probs[:, 1])
    return float(np.mean([binary_auc(y == c, probs[:, c]) for c in present]))


def _per_class(y: np.ndarray, pred: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Precision, recall, F1 and support of each class 0..k-1 (0 where undefined, as
    scikit-learn's ``zero_division=0``)."""
    classes = np.arange(k)[:, None]
    is_true, is_pred = y[None, :] == classes, pred[None, :] == classes
    tp = (is_true & is_pred).sum(axis=1).astype(float)
    support = is_true.sum(axis=1)
    predicted = is_pred.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1_den = support + predicted  # 2tp + fp + fn
        f1 = np.where(f1_den > 0, 2 * tp / f1_den, 0.0)
    return precision, recall, f1, support


def classification_metrics(
    y: np.ndarray,
    probs: np.ndarray,
    labels: Sequence[str],
    positive: int | None = None,
    thresholds: np.ndarray | None = None,
) -> dict:
    """AUC plus macro and per-class precision, recall and F1 (predicted class = argmax).

    Macro figures average over the classes present in ``y`` (a class absent from the scored split
    has no recall to average). With ``positive`` (a class index; two classes), that class's
    precision, recall and F1 are added as ``positive_*``. Label sets (``y`` of shape (n, k)) are
    scored by ``multilabel_metrics`` (``thresholds``: per-label thresholds chosen on validation).
    """
    y = np.asarray(y)
    if y.ndim == 2:
        return multilabel_metrics(y, probs, labels, thresholds)
    pred = probs.argmax(axis=1)
    p, r, f, support = _per_class(y, pred, len(labels))
    present = sorted(set(y.tolist()))
    out = {
        "auc": auc(y, probs),
        "precision": float(p[present].mean()),
        "recall": float(r[present].mean()),
        "f1": float(f[present].mean()),
        "accuracy": float((pred == y).mean()),
        "per_class": {
            lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, lab in enumerate(labels)
        },
    }
    if positive is not None:
        out.update(
            {
                "positive_precision": float(p[positive]),
                "positive_recall": float(r[positive]),
                "positive_f1": float(f[positive]),
            }
        )
    return out


def texts_per_label(y: np.ndarray, n_labels: int) -> np.ndarray:
    """How many texts carry each label: of class indices, or of 0/1 label-set rows (a text counts for
    each of its labels)."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.sum(axis=0)
    return np.bincount(y.astype(int), minlength=n_labels)


def _label_counts(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per label of 0/1 matrices (n, k): true positives, predicted positives and support."""
    tp = (y & pred).sum(axis=0).astype(float)
    return tp, pred.sum(axis=0).astype(float), y.sum(axis=0).astype(float)


def _f1s(tp: np.ndarray, predicted: np.ndarray, support: np.ndarray) -> tuple[np.ndarray, ...]:
    """Precision, recall and F1 from counts (0 where undefined, as scikit-learn's ``zero_division=0``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
    return precision, recall, f1


def multilabel_metrics(
    y: np.ndarray, probs: np.ndarray, labels: Sequence[str], thresholds: np.ndarray | None = None
) -> dict:
    """Label-set metrics (``y`` and ``probs`` of shape (n, k), one sigmoid score per label).

    ``auc``: the macro AUC over labels some texts have and some lack (the search's objective).
    At a threshold of 0.5: per-label precision, recall and F1, their macro means over the labels
    present (``precision``, ``recall``, ``f1``), ``micro_f1``, and ``exact_match`` (the whole
    label set right; also ``accuracy``). With ``thresholds`` (per label, chosen on validation by
    ``f1_thresholds``): ``f1_tuned`` and ``micro_f1_tuned`` at those.
    """
    y = np.asarray(y).astype(bool)
    pred = probs >= 0.5
    tp, predicted, support = _label_counts(y, pred)
    p, r, f = _f1s(tp, predicted, support)
    present = support > 0
    _, _, micro = _f1s(tp.sum(), predicted.sum(), support.sum())
    exact = float((pred == y).all(axis=1).mean()) if len(y) else float("nan")
    out = {
        "auc": auc(y.astype(int), probs),
        "precision": float(p[present].mean()) if present.any() else 0.0,
        "recall": float(r[present].mean()) if present.any() else 0.0,
        "f1": float(f[present].mean()) if present.any() else 0.0,
        "micro_f1": float(micro),
        "exact_match": exact,
        "accuracy": exact,
        "per_class": {
            lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, lab in enumerate(labels)
        },
    }
    if thresholds is not None:
        tp, predicted, support = _label_counts(y, probs >= np.asarray(thresholds)[None, :])
        _, _, f_tuned = _f1s(tp, predicted, support)
        _, _, micro_tuned = _f1s(tp.sum(), predicted.sum(), support.sum())
        out["f1_tuned"] = float(f_tuned[present].mean()) if present.any() else 0.0
        out["micro_f1_tuned"] = float(micro_tuned)
    return out


def f1_thresholds(y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per label, the score threshold with the best F1 on these (validation) texts; 0.5 for a label
    they never carry. A threshold is a midpoint between two adjacent scores, so it does not sit on
    a validation text's own score."""
    y = np.asarray(y).astype(bool)
    out = np.full(y.shape[1], 0.5)
    for c in range(y.shape[1]):
        if not y[:, c].any():
            continue
        scores = np.unique(probs[:, c])
        cuts = np.concatenate([[scores[0] / 2], (scores[1:] + scores[:-1]) / 2])
        pred = probs[:, c][None, :] >= cuts[:, None]
        tp = (pred & y[:, c][None, :]).sum(axis=1)
        f1 = 2 * tp / (pred.sum(axis=1) + y[:, c].sum())
        out[c] = float(cuts[int(np.argmax(f1))])
    return out


def rarest_labels(train_y: np.ndarray, n_labels: int) -> list[int]:
    """The rarest quarter of the labels (at least one) by training count, rarest first, ties by index:
    where synthetic data is expected to help (Møller et al. 2024)."""
    counts = texts_per_label(train_y, n_labels)
    k = max(1, -(-n_labels // 4))
    return sorted(range(n_labels), key=lambda c: (int(counts[c]), c))[:k]
