"""Ray Tune trainables: fine-tune fresh classifiers on one real+synthetic mix per trial.

Importing this package is cheap; torch and transformers load when a name that needs them is
first used.
"""

from typing import Any

from ._layout import SYNTHETIC_FILE, TRIAL_META_FILE
from ._params import DIMENSIONS, ClassifierSettings, Dimension, EpochRow, TrialData, TrialParams, TrialSettings

__all__ = [
    "DIMENSIONS",
    "ClassifierSettings",
    "OPTIONAL_METRICS",
    "Dimension",
    "EpochRow",
    "FrozenEncoder",
    "Repeats",
    "SYNTHETIC_FILE",
    "TRIAL_META_FILE",
    "TrainingMix",
    "TrialData",
    "TrialParams",
    "TrialSettings",
    "auc",
    "balanced_class_weights",
    "binary_auc_rows",
    "classification_metrics",
    "f1_thresholds",
    "rarest_labels",
    "texts_per_label",
    "feature_store_ready",
    "load_classifier",
    "marked_classifier",
    "marker_ids",
    "mean_metrics",
    "mix_weights",
    "pooling_source",
    "read_pooling",
    "read_synthetic",
    "score_checkpoint",
    "start_feature_store",
]

_LAZY = {
    "OPTIONAL_METRICS": "_metrics",
    "auc": "_metrics",
    "binary_auc_rows": "_metrics",
    "classification_metrics": "_metrics",
    "f1_thresholds": "_metrics",
    "rarest_labels": "_metrics",
    "texts_per_label": "_metrics",
    "FrozenEncoder": "_features",
    "Repeats": "_classifier",
    "TrainingMix": "_classifier",
    "balanced_class_weights": "_classifier",
    "mix_weights": "_classifier",
    "read_synthetic": "trainable",
    "mean_metrics": "trainable",
    "read_pooling": "_pooling_config",
    "load_classifier": "_checkpoint",
    "marked_classifier": "_markers",
    "marker_ids": "_markers",
    "score_checkpoint": "_checkpoint",
    "start_feature_store": "_feature_store",
    "feature_store_ready": "_feature_store",
}


def pooling_source() -> str:
    """Source of the pooling module (torch and transformers only): an exported head-mode model ships it."""
    from pathlib import Path

    return (Path(__file__).parent / "_pooling.py").read_text(encoding="utf-8")


def __getattr__(name: str) -> Any:
    # torch and transformers take seconds to import; ``synthsweep status`` only needs TrialParams.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
