"""``synthsweep status``: the trials of a sweep from its run directory alone.

Reads Tune's trial directories and its last state snapshot (``read_trials``), so it works while
a sweep runs, after it stopped or was killed, and starts no Ray.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ..rundir import (
    RunState,
    RunStatus,
    Selection,
    TrialRecord,
    TrialState,
    load_run,
    read_trials,
    recorded_config,
    trial_params,
)
from ._console import console_for_output
from ._format import SEARCHED_CHOICES, fmt, plus_minus, searched_choices
from ._summary_model import RunSummary, read_summary, recorded_selection
from ._tables import Column, FittedTable

_STYLE = {
    TrialState.TERMINATED: "green",
    TrialState.RUNNING: "yellow",
    TrialState.PENDING: "dim",
    TrialState.ERROR: "red",
    TrialState.PAUSED: "yellow",
}


@dataclass(frozen=True)
class StatusView:
    """A run as ``status`` shows it."""

    run_dir: Path
    state: RunState
    records: list[TrialRecord]
    num_samples: int
    epochs: int
    selection: Selection
    summary: RunSummary | None

    @property
    def best(self) -> TrialRecord | None:
        """The best trial with synthetic data (what the verdict tests), else the best of any."""
        return self.selection.shown

    @property
    def finished(self) -> int:
        return sum(1 for r in self.records if r.state.final)

    @property
    def phase(self) -> str:
        """The sweep as a whole, in words: running, stopped (resumable) or finished."""
        s = self.state
        if s.status == RunStatus.FINISHED:
            return "finished"
        if s.driver_alive():
            return f"running (driver pid {s.pid})"
        if s.status == RunStatus.RUNNING and s.host and s.host != socket.gethostname():
            return f"running on {s.host} (driver pid {s.pid}), or stopped there"
        how = "interrupted" if s.status == RunStatus.INTERRUPTED else "stopped (driver gone)"
        return f"{how}; continue with: synthsweep resume {self.run_dir}"


def run_status(run_dir: str | Path) -> StatusView:
    run_dir, state = load_run(run_dir)
    cfg = recorded_config(run_dir)
    records = read_trials(run_dir)
    summary = read_summary(run_dir) if state.status == RunStatus.FINISHED else None
    return StatusView(
        run_dir=run_dir,
        state=state,
        records=records,
        num_samples=cfg.search.num_samples,
        epochs=cfg.classifier.epochs,
        selection=recorded_selection(records, summary),
        summary=summary,
    )


def _ago(t: float | None) -> str:
    if not t:
        return "-"
    s = int(time.time() - t)
    return f"{s // 3600}h{s % 3600 // 60:02d}m ago" if s >= 3600 else f"{s // 60}m{s % 60:02d}s ago"


def trials_table(st: StatusView) -> FittedTable:
    params = [trial_params(r) for r in st.records]
    choices = searched_choices(params)
    columns: list[Column | str] = [
        "#",
        Column("trial", key=True),  # export --trial takes it: never shortened
        Column("state", whole_words=True),
        Column("generator", may_drop=True),
        *(SEARCHED_CHOICES[c] for c in choices),
        "temperature",
        "n_synthetic",
        "real share",
        "val AUC ± SD",
        "best epoch",
        "epochs",
    ]
    best_id = st.best.trial_id if st.best else None
    rows, styles = [], []
    for r, prm in zip(st.records, params):
        best_row = r.best_row or {}
        state = str(r.state) + (f" ({r.failures} failed)" if r.failures and r.state != TrialState.ERROR else "")
        style = _STYLE.get(r.state)
        styles.append("bold" if r.trial_id == best_id else None)
        rows.append(
            [
                str(r.number),
                r.trial_id,
                f"[{style}]{state}[/]" if style else state,
                str(prm.get("generator") or "-"),
                *(str(prm.get(c) or "-") for c in choices),
                fmt(prm.get("temperature"), 1),
                str(best_row.get("n_synthetic_used", prm.get("n_synthetic"))),
                fmt(best_row.get("real_share", prm.get("real_ratio")), 2),
                plus_minus(r.best_val_auc, best_row.get("val_auc_sd")),
                str(best_row.get("epoch") or "-"),
                f"{r.epochs}/{st.epochs}" if st.epochs else str(r.epochs),
            ]
        )
    return FittedTable(columns, rows, row_styles=styles)


def _best_line(st: StatusView) -> str:
    best = st.best
    if best is None:
        return "best so far: no trial has reported yet"
    prm = trial_params(best)
    return (
        f"best so far: trial {best.number} ({best.trial_id}) val AUC {fmt(best.best_val_auc)} at epoch "
        f"{(best.best_row or {}).get('epoch')}: temperature={fmt(prm['temperature'], 1)} "
        f"n_synthetic={prm['n_synthetic']} real_ratio={fmt(prm['real_ratio'], 2)}"
        + "".join(f" {c}={prm[c]}" for c in SEARCHED_CHOICES if prm.get(c))
    )


def print_status(run_dir: str | Path, console: Console | None = None) -> StatusView:
    st = run_status(run_dir)
    console = console or console_for_output()
    resumed = f", resumed {st.state.resumed}x" if st.state.resumed else ""
    console.print(
        f"[bold]{st.run_dir.name}[/bold]: {st.phase}; {st.finished} of {st.num_samples} trials finished; "
        f"started {_ago(st.state.started)}{resumed}",
        soft_wrap=True,  # the resume command must stay one line to copy
    )
    console.print(trials_table(st), crop=False)
    console.print(_best_line(st), soft_wrap=True)
    if st.summary is not None and st.summary.verdict is not None:
        console.print(f"verdict (test split): {st.summary.verdict.sentence}", soft_wrap=True)
    return st
