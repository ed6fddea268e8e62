"""Held-out metrics: AUC (macro one-vs-rest for several classes), precision, recall, F1.

Plain numpy, not ``sklearn.metrics``: importing scikit-learn took 1.2 s in every fresh trial
worker, most of Tune's start-up per worker (``bench/sweep_overhead.py``); the figures match
scikit-learn's (``tests/test_trainable.py`` compares them, ties and absent classes included).
The verdict's bootstrap (``sweep._bootstrap``) scores its resamples with the same ranks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
    """Binary AUC on the second class's score, else macro one-vs-rest over the classes present."""
    y = np.asarray(y)
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
    y: np.ndarray, probs: np.ndarray, labels: Sequence[str], positive: int | None = None
) -> dict:
    """AUC plus macro and per-class precision, recall and F1 (predicted class = argmax).

    Macro figures average over the classes present in ``y`` (a class absent from the scored split
    has no recall to average). With ``positive`` (a class index; two classes), that class's
    precision, recall and F1 are added as ``positive_*``.
    """
    y = np.asarray(y)
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
