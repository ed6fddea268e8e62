"""The verdict as a typed record, from the moment it is computed: the console, the report, the
export's model card and ``summary.json`` all read these fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from common import StrEnum

BASELINE = "baseline"
BEST = "best"
LABEL_ARMS = {"labels_25": 0.25, "labels_50": 0.5, "labels_75": 0.75}
"""The real-label curve's arms and the share of each label's real training examples they keep."""
ARM_WORDS = {
    BASELINE: "no augmentation",
    **{name: f"{round(share * 100)}% of the real labels" for name, share in LABEL_ARMS.items()},
    "reweighted": "class-balanced weights",
    "oversample": "oversampling",
    "eda": "EDA word edits",
    BEST: "synthetic data",
    "generate": "the best generating trial",
    "paraphrase": "the best paraphrasing trial",
}
"""Every arm's name and what it is, in the order the verdict trains and shows them."""
METHOD_ARMS = ("generate", "paraphrase")
"""With ``search.augment`` holding both methods: the best trial of each method by validation AUC
(one of them is ``best``), so each method is compared with no augmentation on its own."""
CHEAP_CONTROLS = ("reweighted", "oversample", "eda")
AUGMENTATION_ARMS = (*CHEAP_CONTROLS, BEST, *METHOD_ARMS)
"""The arms that add to or reweight all the real data: each one's worth is said in real labels."""


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


class Estimate(_Model):
    mean: float
    """The value on the full test set."""
    ci95: list[float]
    """[low, high] of its 95% interval over the same bootstrap replicates as the differences."""


class Worth(Estimate):
    """What an augmentation arm is worth in real labels: the extra real examples per label the
    baseline would need to reach the arm's test AUC (negative: the arm is worth fewer labels)."""

    extrapolated: bool
    """The arm's AUC lies outside the measured curve (above the full-size baseline, or below the
    smallest share), so the worth is read off the fitted curve, not interpolated."""
    capped: bool = False
    """The estimate reached the cap (``WORTH_CAP`` times the labels per label you have)."""


class CurveFit(_Model):
    form: str = "auc = a + b * ln(n_per_label)"
    a: float
    b: float
    """AUC gained per e-fold more real labels per label (0.405 b for 50% more)."""


class LabelCurve(_Model):
    """The baseline's test AUC against the real labels it trained on (the ``labels_*`` arms and the baseline)."""

    fractions: list[float]
    n_per_label: list[float]
    """Real training examples per label at each fraction (the mean over labels)."""
    test_auc_mean: list[float]
    test_auc_ci95: list[list[float]]
    fit: CurveFit
    """Least squares over the four points; used only outside the measured range."""
    more_labels_50pct: Estimate
    """The change in test AUC that 50% more real labels would bring: an extrapolation along ``fit``."""


RAREST_MIN_LABELS = 4
"""The rarest quarter is reported from this many labels on: with two or three it would be one label,
whose AUC the macro figure already shows half or a third of."""


class LabelMetrics(_Model):
    """One label's test figures for an arm, averaged over its seeds (``support``: its test texts)."""

    precision: float
    recall: float
    f1: float
    support: int


class RarestArm(_Model):
    test_auc_mean: float
    """The arm's macro test AUC over the rarest labels only, averaged over its seeds."""
    delta_auc: DeltaAUC
    """Minus the baseline's, with the 95% interval over the same paired replicates as ``Verdict.arms``."""
    conclusion: Conclusion


class RarestQuarter(_Model):
    """The rarest quarter of the labels by training count, where synthetic data is expected to help
    most (Møller et al. 2024): each arm's macro test AUC over those labels alone."""

    labels: list[str]
    """Rarest first (``trainables.rarest_labels``: a quarter of the labels, rounded up)."""
    train_counts: list[int]
    """Training texts of each of ``labels``."""
    of: int
    """How many labels the data has."""
    arms: dict[str, RarestArm]
    """Every arm of ``Verdict.arms`` but the real-label curve's."""


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
    micro_f1: float | None = None
    """Label sets: micro F1 at a threshold of 0.5 (``precision``, ``recall`` and ``f1`` are the macro means)."""
    exact_match: float | None = None
    """Label sets: the share of texts whose whole label set is right at 0.5."""
    f1_tuned: float | None = None
    """Label sets: macro F1 at per-label thresholds chosen on validation (each seed its own)."""
    micro_f1_tuned: float | None = None
    delta_auc: DeltaAUC
    conclusion: Conclusion
    worth_labels_per_label: Worth | None = None
    """For an augmentation arm (``AUGMENTATION_ARMS``), when the label curve was trained."""
    per_label: dict[str, LabelMetrics] | None = None
    """Each label's test precision, recall and F1 (None in a summary written before they were kept)."""


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
    detectable_delta: float | None = None
    """The smallest change in test AUC this test split detects with 80% power (5% two-sided):
    2.80 times the bootstrap SE of ``best - baseline``; None without a ``best`` arm."""
    labels: LabelCurve | None = None
    """The real-label curve, when ``eval.label_curve`` is on and the shares differ in size."""
    rarest: RarestQuarter | None = None
    """The arms on the rarest quarter of the labels; None with fewer than ``RAREST_MIN_LABELS`` labels."""
    verdict_s: float
    sentence: str

    @property
    def best(self) -> VerdictArm | None:
        return self.arms.get(BEST)

    @property
    def baseline(self) -> VerdictArm:
        return self.arms[BASELINE]
