"""Read trial results straight from a run directory, without Ray.

Tune writes one directory per trial with ``params.json`` and ``result.json`` (one JSON line per
reported epoch) and the kept checkpoints. Reading those files works while a sweep runs, after it
stopped, and after it was killed, and needs no Ray workers.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainables import EpochRow


class TrialStatus:
    """Tune's trial states as synthsweep reads them from a run directory (Optuna's ``TrialStatus`` idea)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    TERMINATED = "TERMINATED"
    ERROR = "ERROR"
    UNKNOWN = "UNKNOWN"
    FINAL = (TERMINATED, ERROR)
    """States a trial does not leave: finished, or errored after its retries."""


# e.g. train_classifier_b4a09960_1_n_synthetic=0,real_ratio=1.0000,temperature=0.6000_2026-11-21_14-02-22
_TRIAL_DIR = re.compile(r"_(?P<id>[0-9a-f]{8})_(?P<num>\d+)_")


@dataclass
class TrialRecord:
    trial_id: str
    number: int
    path: Path
    params: dict[str, Any]
    rows: list[EpochRow] = field(default_factory=list)
    state: str = TrialStatus.UNKNOWN
    error: str | None = None
    failures: int = 0
    """Failed attempts Tune retried (or gave up on), from its experiment state."""

    @property
    def epochs(self) -> int:
        return len(self.rows)

    @property
    def best_row(self) -> EpochRow | None:
        """The epoch with the highest validation AUC.

        On ties, the tied epoch whose checkpoint Tune kept (it keeps the latest of equal
        scores), else the earliest.
        """
        scored = [r for r in self.rows if isinstance(r.get("val_auc"), (int, float)) and not math.isnan(r["val_auc"])]
        if not scored:
            return None
        top = max(r["val_auc"] for r in scored)
        tied = [r for r in scored if r["val_auc"] == top]
        return next((r for r in tied if self.checkpoint_for(r) is not None), tied[0]) if len(tied) > 1 else tied[0]

    @property
    def best_val_auc(self) -> float:
        row = self.best_row
        return float(row["val_auc"]) if row else float("nan")

    @property
    def is_baseline(self) -> bool:
        return int(self.params.get("n_synthetic", -1)) == 0

    def checkpoint_for(self, row: EpochRow | None) -> Path | None:
        """The kept checkpoint directory of ``row``'s epoch, if Tune kept it."""
        if row is None:
            return None
        # The row's own checkpoint first, but only if it holds that epoch: a checkpoint handed over
        # with a later epoch's report holds an earlier, better epoch (search.checkpoint_interval_s).
        name = row.get("checkpoint_dir_name")
        for ckpt in ([self.path / name] if name else []) + sorted(self.path.glob("checkpoint_*")):
            meta = ckpt / "trial.json"
            if meta.is_file() and json.loads(meta.read_text()).get("epoch") == row.get("epoch"):
                return ckpt
        return None

    @property
    def best_checkpoint(self) -> Path | None:
        return self.checkpoint_for(self.best_row)


def _read_rows(path: Path) -> list[EpochRow]:
    """One row per epoch of the trial's latest attempt.

    A retried or resumed trial appends to the same file: a head-mode trial continues after its
    latest checkpoint (epochs go on), one that restarts begins again at epoch 1. A row whose
    epoch is not after the previous one's starts a new attempt and replaces the rows it repeats.
    """
    rows: list[EpochRow] = []
    if not path.is_file():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            break  # a line cut short by a killed writer; everything before it is intact
        epoch = row.get("epoch")
        if isinstance(epoch, int):
            rows = [r for r in rows if not isinstance(r.get("epoch"), int) or r["epoch"] < epoch]
        rows.append(row)
    return rows


def _trial_states(run_dir: Path) -> dict[str, tuple[str, str | None, int]]:
    """trial_id -> (state, error, failures) from Tune's newest experiment state, when there is one."""
    states: dict[str, tuple[str, str | None, int]] = {}
    # Tune names the snapshot after the session that started the sweep and keeps writing it on
    # resume; the newest file is the one to trust.
    for state_file in sorted(run_dir.glob("experiment_state-*.json"))[-1:]:
        try:
            blob = json.loads(state_file.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        for entry in blob.get("trial_data", []):
            try:
                trial = json.loads(entry[0]) if isinstance(entry, list) else entry
                runtime = json.loads(entry[1]) if isinstance(entry, list) and len(entry) > 1 else {}
            except (TypeError, json.JSONDecodeError):
                continue
            tid = trial.get("trial_id")
            if tid:
                err = runtime.get("error_filename")
                states[tid] = (
                    trial.get("status", TrialStatus.UNKNOWN),
                    None if err in (None, "None") else err,
                    int(runtime.get("num_failures") or 0),
                )
    return states


def _superseded(d: Path, tid: str, states: dict) -> bool:
    """An errored trial that ``resume --restart-errored`` replaced by a fresh one (new id, new dir)."""
    return bool(states) and tid not in states and any((d / f).is_file() for f in ("error.txt", "error.pkl"))


def read_trials(run_dir: str | Path) -> list[TrialRecord]:
    """Every trial in the run directory, in creation order."""
    run_dir = Path(run_dir)
    states = _trial_states(run_dir)
    records = []
    for d in run_dir.iterdir() if run_dir.is_dir() else []:
        m = _TRIAL_DIR.search(d.name)
        if not d.is_dir() or not m or not (d / "params.json").is_file():
            continue
        try:
            params = json.loads((d / "params.json").read_text())
        except json.JSONDecodeError:
            params = {}
        rows = _read_rows(d / "result.json")
        tid = rows[-1]["trial_id"] if rows and "trial_id" in rows[-1] else m.group("id")
        if _superseded(d, tid, states):
            continue
        # Not in the snapshot yet: a trial started since Tune last saved its state.
        guess = TrialStatus.RUNNING if rows else TrialStatus.PENDING
        if rows and rows[-1].get("done"):
            guess = TrialStatus.TERMINATED
        state, err, failures = states.get(tid, (guess, None, 0))
        records.append(TrialRecord(tid, int(m.group("num")), d, params, rows, state, err, failures))
    records.sort(key=lambda r: r.number)
    return records


PARAMS = ("temperature", "n_synthetic", "real_ratio", "generator")


def trial_params(r: TrialRecord) -> dict[str, Any]:
    """The trial's searched values as the trial saw them (temperature on its 0.1 grid)."""
    from trainables import TrialParams

    try:
        return TrialParams.from_config(r.params).to_dict()
    except (KeyError, TypeError, ValueError):
        return {k: r.params.get(k) for k in PARAMS}


def pick_best(records: list[TrialRecord]) -> TrialRecord | None:
    """Highest best-epoch validation AUC; the earlier trial wins ties, so the baseline must be beaten."""
    best = None
    for r in records:
        v = r.best_val_auc
        if math.isnan(v):
            continue
        if best is None or v > best.best_val_auc:
            best = r
    return best


def pick_best_synthetic(records: list[TrialRecord]) -> TrialRecord | None:
    """The finished trial with synthetic data and the highest mean validation AUC (earlier wins ties)."""
    best = None
    for r in records:
        row = r.best_row
        if row is None or r.state != TrialStatus.TERMINATED or not int(row.get("n_synthetic_used") or 0):
            continue
        if best is None or r.best_val_auc > best.best_val_auc:
            best = r
    return best


def pick_baseline(records: list[TrialRecord]) -> TrialRecord | None:
    for r in records:
        if r.is_baseline and r.best_row is not None:
            return r
    return None
