"""Turn a run directory's trials into trials.csv, summary.json and the table printed at the end."""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from ._atomic import write_json_atomic, write_text_atomic
from ._errors import UserError
from ._runstate import RunState, read_state, write_state
from ._tables import Column, FittedTable
from ._trials import TrialRecord, pick_baseline, pick_best, read_trials

PARAMS = ("temperature", "n_synthetic", "real_ratio", "generator")
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


def trial_params(r: TrialRecord) -> dict[str, Any]:
    """The trial's searched values as the trial saw them (temperature on its 0.1 grid)."""
    from trainables import TrialParams

    try:
        return TrialParams.from_config(r.params).to_dict()
    except (KeyError, TypeError, ValueError):
        return {k: r.params.get(k) for k in PARAMS}


def trial_row(r: TrialRecord) -> dict[str, Any]:
    best = r.best_row or {}
    last = r.rows[-1] if r.rows else {}
    row: dict[str, Any] = {"trial_id": r.trial_id, "number": r.number, "state": r.state}
    row.update(trial_params(r))
    row.update(
        {
            "val_auc": _num(r.best_val_auc),
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
        int((r.rows[-1] if r.rows else {}).get(f"rejected_{Reject.LABEL_INCONSISTENT}") or 0) for r in records
    )
    return counts


def write_trials_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buf.getvalue())


def _test_metrics(r: TrialRecord, data, feature_cache: Path) -> dict[str, Any]:
    from trainables import classification_metrics
    from trainables._checkpoint import score_checkpoint

    ckpt = r.best_checkpoint
    if ckpt is None:
        return {}
    probs = score_checkpoint(ckpt, data.test.texts, feature_cache)
    return classification_metrics(data.test.y, probs, data.labels)


def _entry(r: TrialRecord | None, data, feature_cache: Path) -> dict[str, Any] | None:
    if r is None:
        return None
    best = r.best_row or {}
    test = _test_metrics(r, data, feature_cache)
    return {
        "trial_id": r.trial_id,
        "params": trial_params(r),
        "best_epoch": best.get("epoch"),
        "val_auc": _num(r.best_val_auc),
        "test_auc": _num(test.get("auc")),
        "precision": test.get("precision"),
        "recall": test.get("recall"),
        "f1": test.get("f1"),
        "per_class": test.get("per_class"),
        "val": {k: best.get(f"val_{k}") for k in ("precision", "recall", "f1", "accuracy")},
        "n_real": best.get("n_real"),
        "n_synthetic": best.get("n_synthetic_used"),
        "checkpoint": str(r.best_checkpoint) if r.best_checkpoint else None,
    }


def summarise(
    run_dir: Path,
    data,
    feature_cache: Path,
    timings: dict[str, float],
    extra: dict[str, Any],
    privacy=None,
) -> dict:
    """Write trials.csv and summary.json; ``privacy`` (PrivacyLimits) adds the privacy audit."""
    records = read_trials(run_dir)
    if not records:
        raise UserError(f"{run_dir} has no trial results")
    rows = [trial_row(r) for r in records]
    write_trials_csv(run_dir / "trials.csv", rows)
    baseline, best = pick_baseline(records), pick_best(records)
    pools = pool_counts(records)
    by_reason = rejected_by_reason(records, pools)
    summary = {
        "name": run_dir.name,
        "run_dir": str(run_dir),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "baseline": _entry(baseline, data, feature_cache),
        "best": _entry(best, data, feature_cache),
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
            "errored": sum(1 for r in records if r.state == "ERROR"),
        },
        "data": {
            "labels": data.labels,
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
        b, w = summary["baseline"], summary["best"]
        summary["improvement"] = {
            k: (w[k] - b[k]) if w[k] is not None and b[k] is not None else None for k in ("val_auc", "test_auc")
        }
    write_json_atomic(run_dir / "summary.json", summary)
    return summary


def finish_run(p, timings: dict[str, float]) -> Path:
    from ._hashing import sha256_path
    from ._runner import generator_cache_key

    paths = p.generator_paths or {p.cfg.searched_generators()[0]: p.generator_path}
    generators = {
        name: {
            "name": g.model,
            "backend": g.backend,
            "path": str(paths[name]),
            "sha256": sha256_path(paths[name]),
            "cache_key": generator_cache_key(g, paths[name]),
        }
        for name, g in p.generators.items()
    }
    extra = {
        "models": {
            # The first searched generator (it serves the baseline); every one is under "generators".
            "generator": next(iter(generators.values())),
            "generators": generators,
            "classifier": {
                "name": p.cfg.classifier.model,
                "path": str(p.classifier_path),
                "sha256": sha256_path(p.classifier_path),
            },
        },
    }
    from ._filters import privacy_limits

    summary = summarise(
        p.run_dir, p.data, p.cfg.cache_dir / "features.sqlite", timings, extra, privacy=privacy_limits(p.cfg)
    )
    state = read_state(p.run_dir) or RunState(status="running", started=time.time())
    state.status, state.finished = "finished", time.time()
    write_state(p.run_dir, state)
    print_summary(summary, read_trials(p.run_dir))
    return p.run_dir


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


def _f(v: Any, digits: int = 3) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def print_summary(summary: dict, records: list[TrialRecord], console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:  # logs and pipes: wide enough that no column is cut
            console = Console(width=120)
    params = [Column("generator", may_drop=True), "temperature", "n_synthetic", "real_ratio"]
    state = Column("state", may_drop=True)
    columns = ["#", state, *params, "val AUC", "epoch", "val F1", "generated", "cached", "time s"]
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
                _f(row["temperature"], 1),
                str(row["n_synthetic"]),
                _f(row["real_ratio"], 2),
                _f(row["val_auc"]),
                str(row["best_epoch"] or "-"),
                _f(row["val_f1"]),
                str(row.get("synthetic_generated") or 0),
                str(row.get("synthetic_from_cache") or 0),
                _f(row["time_s"], 1),
            ]
        )
    title = f"trials of {summary['name']}"
    console.print(FittedTable(columns, rows, title=title, row_styles=styles), crop=False)
    head = []
    for name in ("baseline", "best"):
        e = summary.get(name)
        if e:
            prm = e["params"]
            head.append(
                [
                    name,
                    str(prm.get("generator") or "-"),
                    _f(prm["temperature"], 1),
                    str(prm["n_synthetic"]),
                    _f(prm["real_ratio"], 2),
                    _f(e["val_auc"]),
                    _f(e["test_auc"]),
                    _f(e["precision"]),
                    _f(e["recall"]),
                    _f(e["f1"]),
                ]
            )
    columns = ["", *params, "val AUC", "test AUC", "precision", "recall", "F1"]
    title = "best trial against the baseline (test split scored once, at the end)"
    console.print(FittedTable(columns, head, title=title), crop=False)
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
