"""Read trial results straight from a run directory, without Ray.

Tune writes one directory per trial with ``params.json`` and ``result.json`` (one JSON line per
reported epoch) and the kept checkpoints. Reading those files works while a sweep runs, after it
stopped, and after it was killed, and needs no Ray workers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import StrEnum
from trainables import TRIAL_META_FILE, EpochRow

from ._layout import (
    CHECKPOINT_GLOB,
    ERROR_FILES,
    EXPERIMENT_STATE_GLOB,
    PARAMS_FILE,
    RESULT_FILE,
    TRIAL_DIR,
)


class TrialState(StrEnum):
    """Tune's trial states as synthsweep reads them from a run directory."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    TERMINATED = "TERMINATED"
    ERROR = "ERROR"
    UNKNOWN = "UNKNOWN"

    @property
    def final(self) -> bool:
        """A state a trial does not leave: finished, or errored after its retries."""
        return self in (TrialState.TERMINATED, TrialState.ERROR)

    @classmethod
    def read(cls, value: Any) -> TrialState:
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


@dataclass
class TrialRecord:
    trial_id: str
    number: int
    path: Path
    params: dict[str, Any]
    rows: list[EpochRow] = field(default_factory=list)
    state: TrialState = TrialState.UNKNOWN
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
    def finished(self) -> bool:
        """Ended normally with at least one reported epoch."""
        return self.state == TrialState.TERMINATED and self.best_row is not None

    @property
    def trained_on_synthetic(self) -> bool:
        """Finished, and its best epoch trained on synthetic examples (a candidate for the verdict's `best`)."""
        row = self.best_row
        return self.finished and row is not None and bool(int(row.get("n_synthetic_used") or 0))

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
        for ckpt in ([self.path / name] if name else []) + sorted(self.path.glob(CHECKPOINT_GLOB)):
            meta = ckpt / TRIAL_META_FILE
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


def _trial_states(run_dir: Path) -> dict[str, tuple[TrialState, str | None, int]]:
    """trial_id -> (state, error, failures) from Tune's newest experiment state, when there is one."""
    states: dict[str, tuple[TrialState, str | None, int]] = {}
    # Tune names the snapshot after the session that started the sweep and keeps writing it on
    # resume; the newest file is the one to trust.
    for state_file in sorted(run_dir.glob(EXPERIMENT_STATE_GLOB))[-1:]:
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
                    TrialState.read(trial.get("status")),
                    None if err in (None, "None") else err,
                    int(runtime.get("num_failures") or 0),
                )
    return states


def _superseded(d: Path, tid: str, states: dict) -> bool:
    """An errored trial that ``resume --restart-errored`` replaced by a fresh one (new id, new dir)."""
    return bool(states) and tid not in states and any((d / f).is_file() for f in ERROR_FILES)


def read_trials(run_dir: str | Path) -> list[TrialRecord]:
    """Every trial in the run directory, in creation order."""
    run_dir = Path(run_dir)
    states = _trial_states(run_dir)
    records = []
    for d in run_dir.iterdir() if run_dir.is_dir() else []:
        m = TRIAL_DIR.search(d.name)
        if not d.is_dir() or not m or not (d / PARAMS_FILE).is_file():
            continue
        try:
            params = json.loads((d / PARAMS_FILE).read_text())
        except json.JSONDecodeError:
            params = {}
        rows = _read_rows(d / RESULT_FILE)
        tid = rows[-1]["trial_id"] if rows and "trial_id" in rows[-1] else m.group("id")
        if _superseded(d, tid, states):
            continue
        # Not in the snapshot yet: a trial started since Tune last saved its state.
        guess = TrialState.RUNNING if rows else TrialState.PENDING
        if rows and rows[-1].get("done"):
            guess = TrialState.TERMINATED
        state, err, failures = states.get(tid, (guess, None, 0))
        records.append(TrialRecord(tid, int(m.group("num")), d, params, rows, state, err, failures))
    records.sort(key=lambda r: r.number)
    return records


def trial_params(r: TrialRecord) -> dict[str, Any]:
    """The trial's searched values as the trial saw them (snapped to their grids)."""
    from trainables import DIMENSIONS, TrialParams

    try:
        return TrialParams.from_config(r.params).to_dict()
    except (KeyError, TypeError, ValueError):
        return {k: r.params.get(k) for k, d in DIMENSIONS.items() if not d.optional}
