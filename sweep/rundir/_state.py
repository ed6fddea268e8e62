"""The run directory's own marker: is the sweep in it running, interrupted, failed or finished?"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import StrEnum, UserError, write_json_atomic

from ._layout import CONFIG_FILE, STATE_FILE


class RunStatus(StrEnum):
    RUNNING = "running"
    """A driver works on it, or was killed without a word."""
    INTERRUPTED = "interrupted"
    """Stopped by Ctrl-C, SIGTERM or an error after the run started; ``resume`` continues it."""
    FAILED = "failed"
    """Every trial errored: nothing to compare, no summary."""
    FINISHED = "finished"
    """``summary.json`` holds the verdict."""


@dataclass
class RunState:
    status: RunStatus
    started: float
    pid: int | None = None
    finished: float | None = None
    resumed: int = 0
    host: str | None = None
    """Host of the driver ``pid``: a pid says nothing about a driver on another machine."""
    inputs: dict[str, Any] = field(default_factory=dict)
    """sha256 of the data files and model files the sweep started with (resume checks them)."""

    def driver_alive(self) -> bool:
        """True when the recorded driver process still runs on this host."""
        if self.status != RunStatus.RUNNING or not self.pid or self.host != socket.gethostname():
            return False
        if self.pid == os.getpid():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process with that pid
            return True
        return True


def read_state(run_dir: Path) -> RunState | None:
    path = Path(run_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        blob = json.loads(path.read_text())
        known = RunState.__dataclass_fields__
        state = RunState(**{k: v for k, v in blob.items() if k in known})
        state.status = RunStatus(state.status)
        return state
    except (json.JSONDecodeError, TypeError, ValueError):
        return None


def write_state(run_dir: Path, state: RunState) -> None:
    write_json_atomic(Path(run_dir) / STATE_FILE, asdict(state))


def mark(run_dir: Path, status: RunStatus, only_if: RunStatus | None = None) -> None:
    """Record ``status`` (``only_if``: only when the marker says that now); a run with no marker gets one."""
    state = read_state(run_dir) or RunState(status=RunStatus.RUNNING, started=time.time())
    if only_if is not None and state.status != only_if:
        return
    state.status = status
    if status == RunStatus.FINISHED:
        state.finished = time.time()
    write_state(run_dir, state)


def claim(run_dir: Path, state: RunState) -> RunState:
    """Mark ``state`` as driven by this process and save it."""
    state.status, state.pid, state.host = RunStatus.RUNNING, os.getpid(), socket.gethostname()
    write_state(run_dir, state)
    return state


def load_run(run_dir: str | Path) -> tuple[Path, RunState]:
    """The run directory and its marker, or a one-line error saying what it is not."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir} is not a directory")
    state = read_state(run_dir)
    if state is None or not (run_dir / CONFIG_FILE).is_file():
        raise UserError(f"{run_dir} is not a synthsweep run directory (no {STATE_FILE} and {CONFIG_FILE})")
    return run_dir, state


def check_resumable(run_dir: Path, state: RunState, errored: int, retry: bool) -> None:
    """Refuse, with one line, to resume a run that is finished, failed (without a retry) or being run."""
    if state.status == RunStatus.FINISHED and not (retry and errored):
        hint = f"; retry its {errored} errored trial(s) with --resume-errored or --restart-errored" if errored else ""
        raise UserError(f"{run_dir} holds a finished sweep; nothing to resume{hint}")
    if state.status == RunStatus.FAILED and not retry:
        raise UserError(
            f"{run_dir} holds a sweep in which no trial finished; retry its {errored} errored trial(s) "
            "with --resume-errored or --restart-errored"
        )
    if state.driver_alive():
        raise UserError(f"{run_dir} is being run by process {state.pid}; stop it first or wait for it")
