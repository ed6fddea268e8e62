"""``curve.json``: typed records of a curve over real-data sizes."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..verdict import Conclusion, DeltaAUC, Verdict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArmAtSize(_Model):
    test_auc_mean: float
    """The arm's test AUC, averaged over its seeds and then over the size's draws."""
    delta_auc: DeltaAUC
    """Minus the baseline's, with a 95% bootstrap interval over draws, seeds and test texts."""
    conclusion: Conclusion
    n_synthetic: float | None = None
    """Synthetic (or copied) examples the arm added, averaged over draws."""


class CurvePoint(_Model):
    per_label: int | str
    """Real training examples per label, or ``all``."""
    draw: int
    n_per_label: float
    """Real training examples per label the point trained on (the mean over labels)."""
    run_dir: Path
    verdict: Verdict


class Curve(_Model):
    sizes: list[int | str]
    draws: int
    points: list[CurvePoint]
    by_size: dict[str, dict[str, ArmAtSize]]
    """Size (``"5"``, ``"all"``) -> arm -> its result over the size's draws."""
    bootstrap: int
    sentence: str
