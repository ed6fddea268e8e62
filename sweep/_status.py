"""``synthsweep status``: the trials of a sweep from its run directory alone.

Reads Tune's trial directories and its last state snapshot (``read_trials``), so it works while
a sweep runs, after it stopped or was killed, and starts no Ray.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ._format import fmt
from ._runstate import RunState, load_run
from ._tables import Column, FittedTable
from ._trials import TrialRecord, TrialStatus, pick_best, read_trials, trial_params

_STYLE = {"TERMINATED": "green", "RUNNING": "yellow", "PENDING": "dim", "ERROR": "red", "PAUSED": "yellow"}


@dataclass
class RunStatus:
    run_dir: Path
    state: RunState
    records: list[TrialRecord]
    num_samples: int
    epochs: int
    best: TrialRecord | None

    @property
    def finished(self) -> int:
        return sum(1 for r in self.records if r.state in TrialStatus.FINAL)

    @property
    def phase(self) -> str:
        """The sweep as a whole, in words: running, stopped (resumable) or finished."""
        s = self.state
        if s.status == "finished":
            return "finished"
        if s.driver_alive():
            return f"running (driver pid {s.pid})"
        if s.status == "running" and s.host and s.host != _hostname():
            return f"running on {s.host} (driver pid {s.pid}), or stopped there"
        how = "interrupted" if s.status == "interrupted" else "stopped (driver gone)"
        return f"{how}; continue with: synthsweep resume {self.run_dir}"


def _hostname() -> str:
    import socket

    return socket.gethostname()


def run_status(run_dir: str | Path) -> RunStatus:
    import yaml

    run_dir, state = load_run(run_dir)
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text()) or {}
    records = read_trials(run_dir)
    return RunStatus(
        run_dir=run_dir,
        state=state,
        records=records,
        num_samples=int(cfg.get("search", {}).get("num_samples", len(records))),
        epochs=int(cfg.get("classifier", {}).get("epochs", 0)),
        best=_best(records),
    )


def _best(records: list[TrialRecord]) -> TrialRecord | None:
    """The best trial with synthetic data (what the verdict tests), else the best of any."""
    from ._trials import pick_best_synthetic

    return pick_best_synthetic(records) or pick_best(records)




def _ago(t: float | None) -> str:
    if not t:
        return "-"
    s = int(time.time() - t)
    return f"{s // 3600}h{s % 3600 // 60:02d}m ago" if s >= 3600 else f"{s // 60}m{s % 60:02d}s ago"


def print_status(run_dir: str | Path, console: Console | None = None) -> RunStatus:
    st = run_status(run_dir)
    if console is None:
        console = Console()
        if not console.is_terminal:  # logs and pipes: wide enough that no column is cut
            console = Console(width=120)
    resumed = f", resumed {st.state.resumed}x" if st.state.resumed else ""
    console.print(
        f"[bold]{st.run_dir.name}[/bold]: {st.phase}; {st.finished} of {st.num_samples} trials finished; "
        f"started {_ago(st.state.started)}{resumed}",
        soft_wrap=True,  # the resume command must stay one line to copy
    )
    columns: list[Column | str] = [
        "#",
        Column("trial", key=True),  # export --trial takes it: never shortened
        "state",
        Column("generator", may_drop=True),
        "temperature",
        "n_synthetic",
        "real share",
        "val AUC ± SD",
        "best epoch",
        "epochs",
    ]
    best_id = st.best.trial_id if st.best else None
    rows, styles = [], []
    for r in st.records:
        prm = trial_params(r)
        best_row = r.best_row or {}
        state = r.state + (f" ({r.failures} failed)" if r.failures and r.state != TrialStatus.ERROR else "")
        styles.append("bold" if r.trial_id == best_id else None)
        rows.append(
            [
                str(r.number),
                r.trial_id,
                f"[{_STYLE.get(r.state, '')}]{state}[/]" if _STYLE.get(r.state) else state,
                str(prm.get("generator") or "-"),
                fmt(prm.get("temperature"), 1),
                str(best_row.get("n_synthetic_used", prm.get("n_synthetic"))),
                fmt(best_row.get("real_share", prm.get("real_ratio")), 2),
                fmt(r.best_val_auc)
                + (f" ± {fmt(best_row['val_auc_sd'])}" if best_row.get("val_auc_sd") is not None else ""),
                str(best_row.get("epoch") or "-"),
                f"{r.epochs}/{st.epochs}" if st.epochs else str(r.epochs),
            ]
        )
    console.print(FittedTable(columns, rows, row_styles=styles), crop=False)
    if st.best is not None:
        prm = trial_params(st.best)
        console.print(
            f"best so far: trial {st.best.number} ({st.best.trial_id}) val AUC {fmt(st.best.best_val_auc)} at epoch "
            f"{(st.best.best_row or {}).get('epoch')}: temperature={fmt(prm['temperature'], 1)} "
            f"n_synthetic={prm['n_synthetic']} real_ratio={fmt(prm['real_ratio'], 2)}",
            soft_wrap=True,
        )
    else:
        console.print("best so far: no trial has reported yet")
    summary = st.run_dir / "summary.json"
    if st.state.status == "finished" and summary.is_file():
        import json

        verdict = json.loads(summary.read_text()).get("verdict")
        if verdict:
            console.print(f"verdict (test split): {verdict['sentence']}", soft_wrap=True)
    return st
