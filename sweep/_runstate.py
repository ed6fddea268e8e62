"""The run directory's own marker: is the sweep in it running, interrupted or finished?"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ._atomic import write_json_atomic

STATE_FILE = "synthsweep_run.json"


@dataclass
class RunState:
    status: str
    """``running`` while a driver works on it (or was killed), ``finished`` once summary.json is written."""
    started: float
    pid: int | None = None
    finished: float | None = None
    resumed: int = 0


def read_state(run_dir: Path) -> RunState | None:
    path = Path(run_dir) / STATE_FILE
    if not path.is_file():
        return None
    try:
        return RunState(**json.loads(path.read_text()))
    except (json.JSONDecodeError, TypeError):
        return None


def write_state(run_dir: Path, state: RunState) -> None:
    write_json_atomic(Path(run_dir) / STATE_FILE, asdict(state))
