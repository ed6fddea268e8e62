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


def classification_metrics(y: np.ndarray, probs: np.ndarray, labels: Sequence[str]) -> dict:
    """AUC plus macro and per-class precision, recall and F1 (predicted class = argmax)."""
    pred = probs.argmax(axis=1)
    idx = list(range(len(labels)))
    p, r, f, support = precision_recall_fscore_support(y, pred, labels=idx, zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(y, pred, labels=idx, average="macro", zero_division=0)
    return {
        "auc": auc(y, probs),
        "precision": float(mp),
        "recall": float(mr),
        "f1": float(mf),
        "accuracy": float((pred == np.asarray(y)).mean()),
        "per_class": {
            lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
            for i, lab in enumerate(labels)
        },
    }
