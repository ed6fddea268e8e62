"""Ray Tune trainables: fine-tune a fresh classifier on one real+synthetic mix per trial."""

from typing import Any

from ._params import TrialData, TrialParams, TrialSettings

__all__ = [
    "TrialData",
    "TrialParams",
    "TrialSettings",
    "auc",
    "classification_metrics",
]


def __getattr__(name: str) -> Any:
    # The metrics load scikit-learn (seconds); ``synthsweep status`` only needs TrialParams.
    if name in ("auc", "classification_metrics"):
        from . import _metrics

        return getattr(_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
