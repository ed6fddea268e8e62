"""Held-out metrics: AUC (macro one-vs-rest for several classes), precision, recall, F1."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import precision_recall_fscore_support, roc_auc_score


def auc(y: np.ndarray, probs: np.ndarray) -> float:
    """Binary AUC on the second class's score, else macro one-vs-rest over the classes present."""
    y = np.asarray(y)
    k = probs.shape[1]
    present = np.unique(y)
    if len(present) < 2:
        return float("nan")
    if k == 2:
        return float(roc_auc_score(y, probs[:, 1]))
    scores = [roc_auc_score((y == c).astype(int), probs[:, c]) for c in present]
    return float(np.mean(scores))


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
    idx = list(range(len(labels)))
    present = sorted(set(y.tolist()))
    p, r, f, support = precision_recall_fscore_support(y, pred, labels=idx, zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(y, pred, labels=present, average="macro", zero_division=0)
    out = {
        "auc": auc(y, probs),
        "precision": float(mp),
        "recall": float(mr),
        "f1": float(mf),
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
