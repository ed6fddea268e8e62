"""The schema of ``summary.json``: ``summarise`` builds a ``RunSummary``, the pipeline returns it,
the console prints it, and status, report and export read it back with ``read_summary``.

Sections whose contents vary with the data (privacy audit, pool counts, model provenance) stay
open mappings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from common import UserError, write_text_atomic

from ..rundir import SUMMARY_FILE, Selection, TrialRecord, select
from ..verdict import Verdict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrialEntry(_Model):
    """The baseline or the best synthetic trial: validation from the search, test from the verdict."""

    trial_id: str
    number: int
    params: dict[str, Any]
    best_epoch: int | None
    val_auc: float | None
    val_auc_sd: float | None
    repeats: int | None
    test_auc_mean: float | None
    """The verdict's mean test AUC of this trial's arm (None before the verdict)."""
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
    label_counts: dict[str, dict[str, int]] | None = None
    """Per label, its texts in ``train``, ``validation`` and ``test`` (None in a summary from before)."""


class SearchSummary(_Model):
    baseline: int
    random: int
    guided: int
    repeats: int


class RunSummary(_Model):
    name: str
    run_dir: Path
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

    def write(self) -> Path:
        """``summary.json`` in the run directory, written whole or not at all."""
        path = Path(self.run_dir) / SUMMARY_FILE
        write_text_atomic(path, self.model_dump_json(indent=2) + "\n")
        return path


_RENAMED = {"test_auc": "test_auc_mean"}
"""Fields of the baseline and best entries renamed since a summary was first written."""


def read_summary(run_dir: Path) -> RunSummary | None:
    """The run's ``summary.json`` (None before the verdict); one line when it is not a summary."""
    path = Path(run_dir) / SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        blob = json.loads(path.read_text())
        for key in ("baseline", "best"):
            entry = blob.get(key) or {}
            for old, new in _RENAMED.items():
                if old in entry:
                    entry[new] = entry.pop(old)
        return RunSummary.model_validate(blob)
    except (json.JSONDecodeError, ValidationError, AttributeError) as e:
        raise UserError(f"{path} is not a summary this synthsweep can read ({type(e).__name__})") from None


def recorded_selection(records: list[TrialRecord], summary: RunSummary | None) -> Selection:
    """The trials the verdict compared, as the finished run recorded them; ``select`` for a run without a summary."""
    if summary is None:
        return select(records)
    baseline, best = summary.baseline, summary.best
    return Selection.recorded(records, baseline.trial_id if baseline else None, best.trial_id if best else None)
