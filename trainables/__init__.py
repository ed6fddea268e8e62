"""Ray Tune trainables: fine-tune a fresh classifier on one real+synthetic mix per trial."""

from ._metrics import auc, classification_metrics
from ._params import TrialData, TrialParams, TrialSettings

__all__ = [
    "TrialData",
    "TrialParams",
    "TrialSettings",
    "auc",
    "classification_metrics",
]
