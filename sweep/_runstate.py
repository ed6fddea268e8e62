"""The run directory's own marker: is the sweep in it running, interrupted or finished?"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import UserError, write_json_atomic

STATE_FILE = "synthsweep_run.json"


@dataclass
class RunState:
    status: str
    """``running`` while a driver works on it (or was killed), ``interrupted`` after Ctrl-C or
    SIGTERM, ``failed`` when every trial errored (no summary), ``finished`` once summary.json is written."""
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
        if self.status not in ("running",) or not self.pid or self.host != socket.gethostname():
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
        return RunState(**{k: v for k, v in blob.items() if k in known})
    except (json.JSONDecodeError, TypeError):
        return None


def write_state(run_dir: Path, state: RunState) -> None:
    write_json_atomic(Path(run_dir) / STATE_FILE, asdict(state))


def claim(run_dir: Path, state: RunState) -> RunState:
    """Mark ``state`` as driven by this process and save it."""
    state.status, state.pid, state.host = "running", os.getpid(), socket.gethostname()
    write_state(run_dir, state)
    return state


def load_run(run_dir: str | Path) -> tuple[Path, RunState]:
    """The run directory and its marker, or a one-line error saying what it is not."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir} is not a directory")
    state = read_state(run_dir)
    if state is None or not (run_dir / "config.yaml").is_file():
        raise UserError(f"{run_dir} is not a synthsweep run directory (no synthsweep_run.json and config.yaml)")
    return run_dir, state
