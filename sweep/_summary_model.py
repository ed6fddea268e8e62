"""The schema of ``summary.json``: one typed description, checked when the file is written.

``summarise`` builds the summary and validates it against ``RunSummary`` before writing, so a
field that is misspelled or of the wrong type fails at once in the writer instead of surprising a
reader (status, report, export, a user's script). Sections whose contents vary with the data
(privacy audit, pool counts, model provenance) stay open mappings.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeltaAUC(_Model):
    mean: float
    ci95: list[float]
    """[low, high] of the 95% paired bootstrap interval."""


class VerdictArm(_Model):
    params: dict[str, Any]
    epoch: int
    val_auc_mean: float | None
    test_auc_mean: float
    test_auc_sd: float
    precision: float
    recall: float
    f1: float
    positive_precision: float | None = None
    positive_recall: float | None = None
    positive_f1: float | None = None
    delta_auc: DeltaAUC
    conclusion: str
    """`reference` (baseline), `better`, `worse` or `no evidence`."""


class Verdict(_Model):
    seeds: int
    seed_values: list[int]
    bootstrap: int
    confidence: float
    n_test: int
    positive_label: str | None
    conclusion: str
    arms: dict[str, VerdictArm]
    verdict_s: float
    sentence: str


class TrialEntry(_Model):
    """The baseline or the best synthetic trial: validation from the search, test from the verdict."""

    trial_id: str
    number: int
    params: dict[str, Any]
    best_epoch: int | None
    val_auc: float | None
    val_auc_sd: float | None
    repeats: int | None
    test_auc: float | None
    test_auc_sd: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    val: dict[str, Any]
    val_per_class: dict[str, Any] | None
    n_real: int | None
    n_synthetic: int | None
    n_synthetic_by_label: dict[str, int] | None
    real_share: float | None
    checkpoint: str | None


class SyntheticCounts(_Model):
    generated: int
    from_cache: int
    rejected: int
    rejected_by_reason: dict[str, int]
    pools: dict[str, dict[str, Any]]


class TrialCounts(_Model):
    total: int
    with_results: int
    errored: int


class DataSummary(_Model):
    labels: list[str]
    positive_label: str | None
    removed: dict[str, int]
    n_train: int
    n_validation: int
    n_test: int
    files: dict[str, str]


class SearchSummary(_Model):
    baseline: int
    random: int
    guided: int
    repeats: int


class RunSummary(_Model):
    name: str
    run_dir: str
    finished_at: str
    baseline: TrialEntry | None
    best: TrialEntry | None
    synthetic: SyntheticCounts
    trials: TrialCounts
    data: DataSummary
    timings: dict[str, float]
    search: SearchSummary | None = None
    models: dict[str, Any] | None = None
    privacy: dict[str, Any] | None = None
    search_best_within_noise: bool | None = None
    verdict: Verdict | None = None
