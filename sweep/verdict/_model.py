"""The verdict as a typed record, from the moment it is computed: the console, the report, the
export's model card and ``summary.json`` all read these fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from common import StrEnum

BASELINE = "baseline"
BEST = "best"
ARM_WORDS = {
    BASELINE: "no augmentation",
    "reweighted": "class-balanced weights",
    "oversample": "oversampling",
    "eda": "EDA word edits",
    BEST: "synthetic data",
}
"""Every arm's name and what it is, in the order the verdict trains and shows them."""
CHEAP_CONTROLS = ("reweighted", "oversample", "eda")


class Conclusion(StrEnum):
    REFERENCE = "reference"
    """The baseline itself."""
    BETTER = "better"
    """The whole 95% interval of the difference lies above 0."""
    WORSE = "worse"
    """The whole interval lies below 0."""
    NO_EVIDENCE = "no evidence"
    """The interval holds 0."""
    NO_SYNTHETIC = "no synthetic trial finished"
    """Nothing to compare (the verdict's overall conclusion only)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeltaAUC(_Model):
    mean: float
    """The arm's test AUC minus the baseline's, each averaged over its seeds."""
    ci95: list[float]
    """[low, high] of the 95% paired bootstrap interval."""


class VerdictArm(_Model):
    params: dict[str, Any]
    """What the arm trained on: ``n_synthetic`` added, and for ``best`` its trial's parameters."""
    epoch: int
    """The epoch chosen by the mean validation AUC over the arm's seeds."""
    val_auc_mean: float | None
    test_auc_mean: float
    test_auc_sd: float
    """SD of the test AUC between the arm's seeds."""
    precision: float
    recall: float
    f1: float
    positive_precision: float | None = None
    positive_recall: float | None = None
    positive_f1: float | None = None
    delta_auc: DeltaAUC
    conclusion: Conclusion


class Verdict(_Model):
    seeds: int
    seed_values: list[int]
    bootstrap: int
    confidence: float
    n_test: int
    positive_label: str | None
    conclusion: Conclusion
    """The ``best`` arm's conclusion, or ``no synthetic trial finished``."""
    arms: dict[str, VerdictArm]
    verdict_s: float
    sentence: str

    @property
    def best(self) -> VerdictArm | None:
        return self.arms.get(BEST)

    @property
    def baseline(self) -> VerdictArm:
        return self.arms[BASELINE]
