"""Which trials the verdict compares, decided in one place (scikit-learn's ``best_index_``).

``select`` is called once when the search has ended, and its choice is recorded in
``summary.json``; status, report and export read that record, and only a run still in progress
(or stopped) is judged by ``select`` afresh. Test data never enters the choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ._trials import TrialRecord


@dataclass(frozen=True)
class Selection:
    baseline: TrialRecord | None
    """The first trial, without synthetic data, once it has reported."""
    best: TrialRecord | None
    """The finished trial with synthetic data and the highest mean validation AUC (the earlier one on
    a tie): the verdict's ``best`` arm."""
    leader: TrialRecord | None
    """The highest mean validation AUC of any trial that reported, finished or not (the earlier on a tie)."""
    by_augment: dict[str, TrialRecord] = field(default_factory=dict)
    """With more than one augmentation method searched (``search.augment``): each method's best
    finished synthetic trial, chosen as ``best`` is; empty otherwise."""

    @property
    def shown(self) -> TrialRecord | None:
        """The trial status and export name first: the best synthetic one, else the leader."""
        return self.best or self.leader

    @classmethod
    def recorded(cls, records: list[TrialRecord], baseline_id: str | None, best_id: str | None) -> Selection:
        """The choice a finished run recorded, over its ``records``."""
        by_id = {r.trial_id: r for r in records}
        fresh = select(records)
        return cls(by_id.get(baseline_id or ""), by_id.get(best_id or ""), fresh.leader, fresh.by_augment)


def _highest(records: list[TrialRecord]) -> TrialRecord | None:
    best = None
    for r in records:
        v = r.best_val_auc
        if not math.isnan(v) and (best is None or v > best.best_val_auc):
            best = r
    return best


def _by_augment(synthetic: list[TrialRecord]) -> dict[str, TrialRecord]:
    """Each searched method's best trial, when trials were told a method and more than one was tried."""
    methods: dict[str, list[TrialRecord]] = {}
    for r in synthetic:
        method = r.params.get("augment")
        if isinstance(method, str):
            methods.setdefault(method, []).append(r)
    if len(methods) < 2:
        return {}
    best = {m: _highest(rs) for m, rs in sorted(methods.items())}
    return {m: r for m, r in best.items() if r is not None}


def select(records: list[TrialRecord]) -> Selection:
    baseline = next((r for r in records if r.is_baseline and r.best_row is not None), None)
    synthetic = [r for r in records if r.trained_on_synthetic]
    return Selection(
        baseline=baseline,
        best=_highest(synthetic),
        leader=_highest(records),
        by_augment=_by_augment(synthetic),
    )
