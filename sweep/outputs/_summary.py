"""A finished search as ``trials.csv`` and the typed ``RunSummary`` written to ``summary.json``."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from common import write_text_atomic

from ..inputs import Dataset, Prepared, privacy_limits, provenance
from ..rundir import TRIALS_CSV, Selection, TrialRecord, TrialState, trial_params
from ..verdict import BASELINE, BEST, Verdict, VerdictArm
from ._audit import privacy_report
from ._summary_model import DataSummary, RunSummary, SearchSummary, SyntheticCounts, TrialCounts, TrialEntry

_COUNTS = (
    "n_real",
    "n_synthetic_used",
    "synthetic_generated",
    "synthetic_from_cache",
    "synthetic_rejected",
    "generated_tokens",
    "generation_s",
    "train_s",
)


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


def trial_row(r: TrialRecord) -> dict[str, Any]:
    best = r.best_row or {}
    last = r.rows[-1] if r.rows else {}
    row: dict[str, Any] = {"trial_id": r.trial_id, "number": r.number, "state": r.state.value}
    row.update(trial_params(r))
    row.update(
        {
            "val_auc": _num(r.best_val_auc),
            "val_auc_sd": _num(best.get("val_auc_sd")),
            "repeats": best.get("repeats"),
            "real_share": best.get("real_share"),
            "best_epoch": best.get("epoch"),
            "epochs": r.epochs,
            "val_precision": best.get("val_precision"),
            "val_recall": best.get("val_recall"),
            "val_f1": best.get("val_f1"),
        }
    )
    for label, m in (best.get("val_per_class") or {}).items():
        for k in ("precision", "recall", "f1"):
            row[f"val_{k}/{label}"] = m.get(k)
    row.update({k: last.get(k) for k in _COUNTS})
    # Filter counts per reject reason, summed over the trial's pools (one per label).
    row.update({k: v for k, v in last.items() if k.startswith("rejected_")})
    row["time_s"] = last.get("time_total_s")
    return row


def pool_counts(records: list[TrialRecord]) -> dict[str, dict[str, Any]]:
    """Filter counts per synthetic pool (label@temperature).

    Trials that share a pool each report it as far as it was generated when they read it; the
    largest view (most attempts) covers the others.
    """
    pools: dict[str, dict[str, Any]] = {}
    for r in records:
        for key, entry in ((r.rows[-1] if r.rows else {}).get("synthetic_pools") or {}).items():
            if key not in pools or entry.get("attempts", 0) > pools[key].get("attempts", 0):
                pools[key] = entry
    return dict(sorted(pools.items()))


def rejected_by_reason(records: list[TrialRecord], pools: dict[str, dict[str, Any]]) -> dict[str, int]:
    from generators import Reject

    counts = {reason: 0 for reason in Reject.ALL}
    for entry in pools.values():
        for reason, c in (entry.get("rejected") or {}).items():
            counts[reason] = counts.get(reason, 0) + int(c)
    # The label-consistency filter runs per trial, on the trial's own mix.
    counts[Reject.LABEL_INCONSISTENT] = sum(
        int(r.rows[-1].get("rejected_label_inconsistent") or 0) for r in records if r.rows
    )
    return counts


def write_trials_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """One row per trial; columns are the union of the rows' keys in first-seen order (pandas)."""
    import pandas as pd

    # dtype=object keeps each value as written (an int column with a gap would turn into floats).
    write_text_atomic(path, pd.DataFrame(rows, dtype=object).to_csv(index=False))


def trial_entry(r: TrialRecord | None, arm: VerdictArm | None) -> TrialEntry | None:
    """A trial's summary: validation figures from the search; test figures only from the verdict."""
    if r is None:
        return None
    best = r.best_row or {}
    return TrialEntry(
        trial_id=r.trial_id,
        number=r.number,
        params=trial_params(r),
        best_epoch=best.get("epoch"),
        val_auc=_num(r.best_val_auc),
        val_auc_sd=_num(best.get("val_auc_sd")),
        repeats=best.get("repeats"),
        test_auc_mean=arm.test_auc_mean if arm else None,
        test_auc_sd=arm.test_auc_sd if arm else None,
        precision=arm.precision if arm else None,
        recall=arm.recall if arm else None,
        f1=arm.f1 if arm else None,
        val={k: best.get(f"val_{k}") for k in ("precision", "recall", "f1", "accuracy")},  # type: ignore[misc]
        val_per_class=best.get("val_per_class"),  # type: ignore[arg-type]
        n_real=best.get("n_real"),
        n_synthetic=best.get("n_synthetic_used"),
        n_synthetic_by_label=best.get("n_synthetic_used_by_label"),
        real_share=best.get("real_share"),
        checkpoint=str(r.best_checkpoint) if r.best_checkpoint else None,
    )


def within_noise(a: TrialEntry | None, b: TrialEntry | None) -> bool | None:
    """Whether two trials' mean validation AUCs differ by less than twice their standard error.

    None when either lacks repeats (one seed: the noise is unknown).
    """
    if not a or not b or not (a.repeats or 0) > 1 or not (b.repeats or 0) > 1:
        return None
    if a.val_auc is None or b.val_auc is None:
        return None
    se = math.sqrt((a.val_auc_sd or 0.0) ** 2 / a.repeats + (b.val_auc_sd or 0.0) ** 2 / b.repeats)
    return abs(a.val_auc - b.val_auc) <= 2 * se


def synthetic_counts(records: list[TrialRecord], rows: list[dict[str, Any]]) -> SyntheticCounts:
    """Examples generated, taken from the cache and rejected, over the run's trials and pools."""
    pools = pool_counts(records)
    return SyntheticCounts(
        generated=sum(int(r.get("synthetic_generated") or 0) for r in rows),
        from_cache=sum(int(r.get("synthetic_from_cache") or 0) for r in rows),
        rejected=sum(int(r.get("synthetic_rejected") or 0) for r in rows),
        rejected_by_reason=rejected_by_reason(records, pools),
        pools=pools,
    )


def label_counts(data: Dataset) -> dict[str, dict[str, int]]:
    """Per label, its texts in each split (a label set counts each of its labels)."""
    from trainables import texts_per_label

    splits = {"train": data.train, "validation": data.validation, "test": data.test}
    per_split = {name: texts_per_label(split.y, len(data.labels)) for name, split in splits.items()}
    return {lab: {name: int(c[i]) for name, c in per_split.items()} for i, lab in enumerate(data.labels)}


def _data_summary(p: Prepared) -> DataSummary:
    d = p.data
    return DataSummary(
        labels=d.labels,
        positive_label=d.positive_label,
        removed=dict(d.removed),
        n_train=len(d.train),
        n_validation=len(d.validation),
        n_test=len(d.test),
        files=d.files,
        label_counts=label_counts(d),
    )


def _search_summary(p: Prepared) -> SearchSummary:
    s = p.cfg.search
    random_trials = s.random_trials()
    repeats = p.cfg.eval.repeats_for(p.cfg.classifier.mode)
    return SearchSummary(baseline=1, random=random_trials, guided=s.num_samples - 1 - random_trials, repeats=repeats)


def _privacy(p: Prepared, records: list[TrialRecord], synthetic: SyntheticCounts) -> dict[str, Any]:
    from generators import Reject

    dropped = {reason: synthetic.rejected_by_reason.get(reason, 0) for reason in Reject.PRIVACY_DROPS}
    return privacy_report(records, p.data, privacy_limits(p.cfg), dropped, p.run_dir)


def summarise(
    p: Prepared, records: list[TrialRecord], selection: Selection, verdict: Verdict, timings: dict[str, float]
) -> RunSummary:
    """Write ``trials.csv`` and ``summary.json`` for a finished search; return the summary."""
    rows = [trial_row(r) for r in records]
    write_trials_csv(p.run_dir / TRIALS_CSV, rows)
    synthetic = synthetic_counts(records, rows)
    baseline = trial_entry(selection.baseline, verdict.arms.get(BASELINE))
    best = trial_entry(selection.best, verdict.arms.get(BEST))
    summary = RunSummary(
        name=p.run_dir.name,
        run_dir=p.run_dir,
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        baseline=baseline,
        best=best,
        synthetic=synthetic,
        trials=TrialCounts(
            total=len(records),
            with_results=sum(1 for r in records if r.rows),
            errored=sum(1 for r in records if r.state == TrialState.ERROR),
        ),
        data=_data_summary(p),
        timings={**timings, "verdict_s": verdict.verdict_s},
        search=_search_summary(p),
        models=provenance(p),
        privacy=_privacy(p, records, synthetic),
        search_best_within_noise=within_noise(best, baseline) if baseline and best else None,
        verdict=verdict,
    )
    summary.write()
    return summary
