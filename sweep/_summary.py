"""Turn a run directory's trials into trials.csv, summary.json and the table printed at the end."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from common import UserError, write_json_atomic, write_text_atomic

from ._format import fmt, plus_minus
from ._tables import Column, FittedTable
from ._trials import TrialRecord, TrialStatus, pick_baseline, read_trials, trial_params

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
    row: dict[str, Any] = {"trial_id": r.trial_id, "number": r.number, "state": r.state}
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


def _entry(r: TrialRecord | None, verdict_arm: dict[str, Any] | None) -> dict[str, Any] | None:
    """A trial's summary: validation figures from the search; test figures only from the verdict."""
    if r is None:
        return None
    best = r.best_row or {}
    arm = verdict_arm or {}
    return {
        "trial_id": r.trial_id,
        "number": r.number,
        "params": trial_params(r),
        "best_epoch": best.get("epoch"),
        "val_auc": _num(r.best_val_auc),
        "val_auc_sd": _num(best.get("val_auc_sd")),
        "repeats": best.get("repeats"),
        "test_auc": arm.get("test_auc_mean"),
        "test_auc_sd": arm.get("test_auc_sd"),
        "precision": arm.get("precision"),
        "recall": arm.get("recall"),
        "f1": arm.get("f1"),
        "val": {k: best.get(f"val_{k}") for k in ("precision", "recall", "f1", "accuracy")},
        "val_per_class": best.get("val_per_class"),
        "n_real": best.get("n_real"),
        "n_synthetic": best.get("n_synthetic_used"),
        "n_synthetic_by_label": best.get("n_synthetic_used_by_label"),
        "real_share": best.get("real_share"),
        "checkpoint": str(r.best_checkpoint) if r.best_checkpoint else None,
    }


def within_noise(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    """Whether two trials' mean validation AUCs differ by less than twice their standard error.

    None when either lacks repeats (one seed: the noise is unknown).
    """
    if not a or not b or not (a.get("repeats") or 0) > 1 or not (b.get("repeats") or 0) > 1:
        return None
    if a.get("val_auc") is None or b.get("val_auc") is None:
        return None
    se = math.sqrt((a.get("val_auc_sd") or 0.0) ** 2 / a["repeats"] + (b.get("val_auc_sd") or 0.0) ** 2 / b["repeats"])
    return abs(a["val_auc"] - b["val_auc"]) <= 2 * se


def summarise(
    run_dir: Path,
    data,
    timings: dict[str, float],
    extra: dict[str, Any],
    privacy=None,
    verdict: dict[str, Any] | None = None,
) -> dict:
    """Write trials.csv and summary.json; ``privacy`` (PrivacyLimits) adds the privacy audit."""
    from ._trials import pick_best_synthetic

    records = read_trials(run_dir)
    if not records:
        raise UserError(f"{run_dir} has no trial results")
    rows = [trial_row(r) for r in records]
    write_trials_csv(run_dir / "trials.csv", rows)
    # "best" is the best trial with synthetic data (the verdict's `best` arm); the baseline is trial 1.
    baseline, best = pick_baseline(records), pick_best_synthetic(records)
    arms = (verdict or {}).get("arms", {})
    pools = pool_counts(records)
    by_reason = rejected_by_reason(records, pools)
    summary = {
        "name": run_dir.name,
        "run_dir": str(run_dir),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "baseline": _entry(baseline, arms.get("baseline")),
        "best": _entry(best, arms.get("best")),
        "synthetic": {
            "generated": sum(int(r.get("synthetic_generated") or 0) for r in rows),
            "from_cache": sum(int(r.get("synthetic_from_cache") or 0) for r in rows),
            "rejected": sum(int(r.get("synthetic_rejected") or 0) for r in rows),
            "rejected_by_reason": by_reason,
            "pools": pools,
        },
        "trials": {
            "total": len(records),
            "with_results": sum(1 for r in records if r.rows),
            "errored": sum(1 for r in records if r.state == TrialStatus.ERROR),
        },
        "data": {
            "labels": data.labels,
            "positive_label": data.positive_label,
            "removed": dict(data.removed),
            "n_train": len(data.train),
            "n_validation": len(data.validation),
            "n_test": len(data.test),
            "files": data.files,
        },
        "timings": timings,
        **extra,
    }
    if privacy is not None:
        from generators import Reject

        from ._audit import privacy_report

        dropped = {reason: by_reason.get(reason, 0) for reason in Reject.PRIVACY_DROPS}
        summary["privacy"] = privacy_report(records, data, privacy, dropped, run_dir)
    if summary["baseline"] and summary["best"]:
        summary["search_best_within_noise"] = within_noise(summary["best"], summary["baseline"])
    if verdict is not None:
        summary["verdict"] = verdict
    from ._summary_model import RunSummary

    RunSummary.model_validate(summary)  # the schema in one place; a wrong field fails here, not in a reader
    write_json_atomic(run_dir / "summary.json", summary)
    return summary


def privacy_line(p: dict) -> str:
    """Two lines: what the audit dropped, and how close the trained-on examples come to each split."""
    dropped = {k: v for k, v in p["dropped"].items() if k != "total" and v}
    why = " (" + ", ".join(f"{k} {v}" for k, v in dropped.items()) + ")" if dropped else ""
    runs = {name: b["longest_run"].get("max") for name, b in p["against"].items()}
    over = "/".join(str(b["over_limits"]) for b in p["against"].values())
    longest = ", ".join(f"{name} {int(v)}" for name, v in runs.items() if v is not None) or "-"
    return (
        f"privacy: {p['dropped']['total']} synthetic examples dropped as copies of training records{why}; "
        f"{p['examples']} trained on\n"
        f"  longest word run shared with a record: {longest} (over the limits: {over}; only train drops)"
    )


_REMOVED = {
    "overlap_train": "training texts that also occur in another split",
    "overlap_validation": "validation texts that also occur in the test split",
    "other_labels": "rows with labels data.labels leaves out",
}


def print_search_best(summary: dict, console: Console) -> None:
    """One line on the search's best synthetic trial against the baseline, on validation, with the noise."""
    b, w = summary.get("baseline"), summary.get("best")
    if not b or not w:
        return
    diff = (w["val_auc"] or 0.0) - (b["val_auc"] or 0.0)
    noise = summary.get("search_best_within_noise")
    tail = {
        True: "within the seed noise of the repeats, so the search alone cannot tell them apart",
        False: "more than twice the standard error of the repeats",
        None: "one seed per trial, so the noise is unknown",
    }[noise]
    best_auc, base_auc = plus_minus(w["val_auc"], w.get("val_auc_sd")), plus_minus(b["val_auc"], b.get("val_auc_sd"))
    console.print(
        f"search: best synthetic trial {w.get('number')} reached validation AUC {best_auc}, baseline {base_auc}: "
        f"{diff:+.3f}, {tail}. Test data was not used."
    )


def print_verdict(verdict: dict, console: Console) -> None:
    """The verdict table (test split, every arm) and its plain sentence."""
    from ._verdict import ARM_WORDS

    arms = verdict["arms"]
    binary = any("positive_recall" in a for a in arms.values())
    title = (
        f"verdict on the test split ({verdict['n_test']} texts): {verdict['seeds']} fresh seeds per arm, "
        f"95% paired bootstrap ({verdict['bootstrap']} resamples)"
    )
    # Narrow enough for 100 columns: what each arm is goes on a line below; all metrics are in summary.json.
    pos = verdict.get("positive_label") if binary else None
    headers: list[Column | str] = ["test AUC ± SD", "Δ AUC [95% CI]", Column("conclusion", justify="left")]
    headers += [f"{pos} P", f"{pos} R"] if pos else ["precision", "recall"]
    columns: list[Column | str] = [Column("arm", justify="left", key=True), *headers]
    rows, styles = [], []
    for name, a in arms.items():
        d = a["delta_auc"]
        lo, hi = d["ci95"]
        metrics = ("positive_precision", "positive_recall") if pos else ("precision", "recall")
        rows.append(
            [
                name,
                plus_minus(a["test_auc_mean"], a["test_auc_sd"]),
                "-" if name == "baseline" else f"{d['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}]",
                "" if name == "baseline" else a["conclusion"],
                *(fmt(a.get(k)) for k in metrics),
            ]
        )
        styles.append({"better": "green", "worse": "red"}.get(a["conclusion"]))
    console.print(FittedTable(columns, rows, title=title, row_styles=styles), crop=False)
    console.print(
        "arms: "
        + "; ".join(
            f"{name} = {ARM_WORDS[name]}"
            + (
                f" ({a['params'].get('n_synthetic')} added)"
                if name != "baseline" and a["params"].get("n_synthetic")
                else ""
            )
            for name, a in arms.items()
        ),
        soft_wrap=False,
    )
    console.print(verdict["sentence"])


def print_summary(summary: dict, records: list[TrialRecord], console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:  # logs and pipes: wide enough that no column is cut
            console = Console(width=120)
    params: list[Column | str] = [Column("generator", may_drop=True), "temperature", "n_synthetic", "real share"]
    state = Column("state", may_drop=True)
    columns: list[Column | str] = [
        "#",
        state,
        *params,
        "val AUC ± SD",
        "epoch",
        "val F1",
        "generated",
        "cached",
        "time s",
    ]
    best_id = (summary.get("best") or {}).get("trial_id")
    rows, styles = [], []
    for r in records:
        row = trial_row(r)
        styles.append("bold green" if r.trial_id == best_id else None)
        rows.append(
            [
                str(r.number),
                r.state,
                str(row.get("generator") or "-"),
                fmt(row["temperature"], 1),
                str(row["n_synthetic_used"] if row.get("n_synthetic_used") is not None else row["n_synthetic"]),
                fmt(row["real_share"] if row.get("real_share") is not None else row["real_ratio"], 2),
                plus_minus(row["val_auc"], row.get("val_auc_sd")),
                str(row["best_epoch"] or "-"),
                fmt(row["val_f1"]),
                str(row.get("synthetic_generated") or 0),
                str(row.get("synthetic_from_cache") or 0),
                fmt(row["time_s"], 1),
            ]
        )
    title = f"trials of {summary['name']}"
    console.print(FittedTable(columns, rows, title=title, row_styles=styles), crop=False)
    print_search_best(summary, console)
    if summary.get("verdict"):
        print_verdict(summary["verdict"], console)
    removed = {k: v for k, v in (summary.get("data", {}).get("removed") or {}).items() if v}
    if removed:
        console.print(
            "data: removed before training: "
            + ", ".join(f"{v} {_REMOVED[k]}" for k, v in removed.items() if k in _REMOVED)
        )
    syn = summary["synthetic"]
    console.print(
        f"synthetic examples: {syn['generated']} generated this run, {syn['from_cache']} taken from the cache"
    )
    reasons = {k: v for k, v in (syn.get("rejected_by_reason") or {}).items() if v}
    inconsistent = reasons.pop("label_inconsistent", 0)
    if reasons:
        console.print(
            "filters rejected, per reason over all pools: " + ", ".join(f"{k} {v}" for k, v in reasons.items())
        )
    if inconsistent:
        console.print(
            f"label-consistency filter: {inconsistent} synthetic examples dropped, summed over trials "
            "(per trial in trials.csv)"
        )
    if summary.get("privacy"):
        console.print(privacy_line(summary["privacy"]))
    console.print(f"results: {summary['run_dir']}/summary.json, {summary['run_dir']}/trials.csv")
