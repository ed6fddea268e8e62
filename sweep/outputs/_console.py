"""What ``run`` and ``resume`` print at the end: the trials, the search's best, the verdict and its sentence."""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..rundir import SUMMARY_FILE, TRIALS_CSV, TrialRecord
from ..verdict import (
    ARM_WORDS,
    AUGMENTATION_ARMS,
    BASELINE,
    BEST,
    LABEL_ARMS,
    Conclusion,
    Verdict,
    Worth,
    rarest_which,
)
from ._format import SEARCHED_CHOICES, delta_ci, fmt, plus_minus, searched_choices
from ._summary import trial_row
from ._summary_model import RunSummary
from ._tables import Column, FittedTable

_REMOVED = {
    "overlap_train": "training texts that also occur in another split",
    "overlap_validation": "validation texts that also occur in the test split",
    "other_labels": "rows with labels data.labels leaves out",
}
_STYLES = {Conclusion.BETTER: "green", Conclusion.WORSE: "red"}


def console_for_output() -> Console:
    """A console on stdout; logs and pipes get one wide enough that no column is cut, unless
    ``COLUMNS`` says how wide (``COLUMNS=100 synthsweep run ... > log``)."""
    console = Console()
    if console.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return console
    return Console(width=120)


def privacy_line(p: dict[str, Any]) -> str:
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


def print_search_best(summary: RunSummary, console: Console) -> None:
    """One line on the search's best synthetic trial against the baseline, on validation, with the noise."""
    b, w = summary.baseline, summary.best
    if not b or not w:
        return
    diff = (w.val_auc or 0.0) - (b.val_auc or 0.0)
    tail = {
        True: "within the seed noise of the repeats, so the search alone cannot tell them apart",
        False: "more than twice the standard error of the repeats",
        None: "one seed per trial, so the noise is unknown",
    }[summary.search_best_within_noise]
    console.print(
        f"search: best synthetic trial {w.number} reached validation AUC {plus_minus(w.val_auc, w.val_auc_sd)}, "
        f"baseline {plus_minus(b.val_auc, b.val_auc_sd)}: {diff:+.3f}, {tail}. Test data was not used."
    )


def verdict_table(verdict: Verdict) -> FittedTable:
    """Every arm's test AUC, difference from the baseline with its interval, and the class shift (with
    four labels or more: the difference on the rarest quarter of the labels instead)."""
    arms = verdict.arms
    pos = verdict.positive_label if any(a.positive_recall is not None for a in arms.values()) else None
    # Narrow enough for 100 columns: what each arm is goes on a line below; all metrics are in summary.json.
    # Beside the macro AUC, the rarest quarter's difference (it takes the macro precision and recall's place).
    headers: list[Column | str] = ["test AUC ± SD", "Δ AUC [95% CI]", Column("conclusion", justify="left")]
    if verdict.rarest is not None:
        headers.append(Column("rarest quarter Δ AUC [95% CI]", justify="left"))
    else:
        headers += [f"{pos} P", f"{pos} R"] if pos else ["precision", "recall"]
    rows, styles = [], []
    for name, a in arms.items():
        if name in LABEL_ARMS:  # the real-label table shows them
            continue
        shown = (a.positive_precision, a.positive_recall) if pos else (a.precision, a.recall)
        rows.append(
            [
                name,
                plus_minus(a.test_auc_mean, a.test_auc_sd),
                "-" if name == BASELINE else delta_ci(a.delta_auc),
                "" if name == BASELINE else str(a.conclusion),
                *([_rarest_cell(verdict, name)] if verdict.rarest is not None else (fmt(v) for v in shown)),
            ]
        )
        styles.append(_STYLES.get(a.conclusion))
    title = (
        f"verdict on the test split ({verdict.n_test} texts): {verdict.seeds} fresh seeds per arm, "
        f"95% paired bootstrap ({verdict.bootstrap} resamples)"
    )
    return FittedTable([Column("arm", justify="left", key=True), *headers], rows, title=title, row_styles=styles)


def curve_table(verdict: Verdict) -> FittedTable | None:
    """The baseline's test AUC on shares of the real labels, each with its interval and its cost."""
    curve = verdict.labels
    if curve is None:
        return None
    rows = []
    for name, share, n, auc, (lo, hi) in zip(
        [*LABEL_ARMS, BASELINE], curve.fractions, curve.n_per_label, curve.test_auc_mean, curve.test_auc_ci95
    ):
        cost = "-" if name == BASELINE else delta_ci(verdict.arms[name].delta_auc)
        rows.append([f"{share:.0%}", f"{n:.0f}", f"{auc:.3f} [{lo:.3f}, {hi:.3f}]", cost])
    columns: list[Column | str] = [Column("real labels", justify="left", key=True), "per label"]
    columns += ["test AUC [95% CI]", "Δ AUC [95% CI]"]
    return FittedTable(columns, rows, title="real-label curve: the baseline on shares of your labels")


def _whole(v: float) -> str:
    """Signed whole labels; a value that rounds to 0 reads as 0, never as -0."""
    n = int(round(v))
    return f"{n:+d}" if n else "0"


def _worth(w: Worth) -> str:
    if w.capped and w.ci95[0] > 0:
        return f"more than {w.mean:.0f}"
    span = f"{_whole(w.mean)} [{_whole(w.ci95[0])}, {_whole(w.ci95[1])}]"
    return span + (" extrapolated" if w.extrapolated else "")


def worth_line(verdict: Verdict) -> str | None:
    """Each augmentation arm's worth in real labels per label, with its interval."""
    worths = {n: verdict.arms[n].worth_labels_per_label for n in AUGMENTATION_ARMS if n in verdict.arms}
    shown = {n: w for n, w in worths.items() if w is not None}
    if not shown:
        return None
    return "worth in real labels per label: " + "; ".join(f"{n} {_worth(w)}" for n, w in shown.items())


NAMED_RAREST = 6
"""The rarest quarter's labels are named in the terminal up to this many; summary.json and the report name all."""


def _rarest_cell(verdict: Verdict, name: str) -> str:
    """The arm's difference from the baseline on the rarest quarter, with its conclusion when not "no evidence"."""
    a = verdict.rarest.arms.get(name) if verdict.rarest else None
    if a is None or name == BASELINE:
        return "-" if a is not None else ""
    said = {Conclusion.BETTER: " [green]better[/green]", Conclusion.WORSE: " [red]worse[/red]"}
    return escape(delta_ci(a.delta_auc)) + said.get(a.conclusion, "")


def rarest_line(verdict: Verdict) -> str | None:
    """Which labels the rarest quarter holds, and the baseline's test AUC on them."""
    r = verdict.rarest
    if r is None:
        return None
    if len(r.labels) <= NAMED_RAREST:
        names = ", ".join(r.labels)
    else:
        names = ", ".join(r.labels[: NAMED_RAREST - 1]) + f" and {len(r.labels) - NAMED_RAREST + 1} more (summary.json)"
    base = r.arms[BASELINE].test_auc_mean
    return f"rarest quarter: {names} ({rarest_which(r)}); the baseline's test AUC on them {base:.3f}"


def _arms_line(verdict: Verdict) -> str:
    added = {name: a.params.get("n_synthetic") for name, a in verdict.arms.items() if name != BASELINE}
    return "arms: " + "; ".join(
        f"{name} = {ARM_WORDS[name]}{_method(name, a.params)}" + (f" ({added[name]} added)" if added.get(name) else "")
        for name, a in verdict.arms.items()
        if name not in LABEL_ARMS
    )


def _method(name: str, params: dict) -> str:
    """``, paraphrase`` after ``best`` when its trial was told a method (``search.augment``)."""
    method = params.get("augment")
    return f", {method}" if name == BEST and method else ""


def label_set_line(verdict: Verdict) -> str | None:
    """Label sets: the F1 figures beside the AUC, baseline against best (None for one label per text)."""
    base, best = verdict.baseline, verdict.best
    if base.micro_f1 is None:
        return None
    pairs = [("micro F1", "micro_f1"), ("macro F1", "f1"), ("macro F1 at thresholds chosen on validation", "f1_tuned"),
             ("exact match", "exact_match")]  # fmt: skip
    words = [
        f"{name} {fmt(getattr(base, key))}" + (f" → {fmt(getattr(best, key))}" if best is not None else "")
        for name, key in pairs
    ]
    return "label sets, baseline" + (" → best" if best is not None else "") + ": " + "; ".join(words)


def print_verdict(verdict: Verdict, console: Console) -> None:
    """The verdict table, what each arm is, the real-label curve and the worths, and the verdict's words."""
    console.print(verdict_table(verdict), crop=False)
    console.print(_arms_line(verdict), soft_wrap=False)
    rarest = rarest_line(verdict)
    if rarest:
        console.print(rarest, markup=False, highlight=False)  # label names are the user's, not markup
    label_sets = label_set_line(verdict)
    if label_sets:
        console.print(label_sets)
    curve = curve_table(verdict)
    if curve is not None:
        console.print(curve, crop=False)
    worth = worth_line(verdict)
    if worth:
        console.print(worth)
    console.print(verdict.sentence)


def trials_table(summary: RunSummary, records: list[TrialRecord]) -> FittedTable:
    """One row per trial: its parameters, mean validation AUC ± SD, and where its examples came from."""
    rows_of = [trial_row(r) for r in records]
    choices = searched_choices(rows_of)
    params: list[Column | str] = [Column("generator", may_drop=True), *(SEARCHED_CHOICES[c] for c in choices)]
    params += ["temperature", "n_synthetic", "real share"]
    after = ["val AUC ± SD", "epoch", "val F1", "generated", "cached", "time s"]
    columns: list[Column | str] = ["#", Column("state", may_drop=True, whole_words=True), *params, *after]
    best_id = summary.best.trial_id if summary.best else None
    rows, styles = [], []
    for r, row in zip(records, rows_of):
        styles.append("bold green" if r.trial_id == best_id else None)
        n_used, share = row.get("n_synthetic_used"), row.get("real_share")
        rows.append(
            [
                str(r.number),
                str(r.state),
                str(row.get("generator") or "-"),
                *(str(row.get(c) or "-") for c in choices),
                fmt(row["temperature"], 1),
                str(n_used if n_used is not None else row["n_synthetic"]),
                fmt(share if share is not None else row["real_ratio"], 2),
                plus_minus(row["val_auc"], row.get("val_auc_sd")),
                str(row["best_epoch"] or "-"),
                fmt(row["val_f1"]),
                str(row.get("synthetic_generated") or 0),
                str(row.get("synthetic_from_cache") or 0),
                fmt(row["time_s"], 1),
            ]
        )
    return FittedTable(columns, rows, title=f"trials of {summary.name}", row_styles=styles)


def print_footer(summary: RunSummary, console: Console) -> None:
    """Rows dropped from the data, synthetic counts, filter rejections, the privacy audit, the files."""
    removed = {k: v for k, v in summary.data.removed.items() if v}
    if removed:
        words = ", ".join(f"{v} {_REMOVED[k]}" for k, v in removed.items() if k in _REMOVED)
        console.print(f"data: removed before training: {words}")
    syn = summary.synthetic
    console.print(f"synthetic examples: {syn.generated} generated this run, {syn.from_cache} taken from the cache")
    reasons = {k: v for k, v in syn.rejected_by_reason.items() if v}
    inconsistent = reasons.pop("label_inconsistent", 0)
    if reasons:
        words = ", ".join(f"{k} {v}" for k, v in reasons.items())
        console.print(f"filters rejected, per reason over all pools: {words}")
    if inconsistent:
        console.print(
            f"label-consistency filter: {inconsistent} synthetic examples dropped, summed over trials "
            "(per trial in trials.csv)"
        )
    if summary.privacy:
        console.print(privacy_line(summary.privacy))
    console.print(f"results: {summary.run_dir}/{SUMMARY_FILE}, {summary.run_dir}/{TRIALS_CSV}")


def print_summary(summary: RunSummary, records: list[TrialRecord], console: Console | None = None) -> None:
    console = console or console_for_output()
    console.print(trials_table(summary, records), crop=False)
    print_search_best(summary, console)
    if summary.verdict:
        print_verdict(summary.verdict, console)
    print_footer(summary, console)
