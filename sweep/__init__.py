"""synthsweep: search local-LLM synthetic data mixes for the best small text classifier.

Importing this package loads neither Ray, torch nor llama.cpp; they load when a sweep runs.
The stages, bottom up: ``config``, ``rundir``, ``inputs``, ``verdict``, ``outputs``, ``cluster``,
``search``, and ``_pipeline``, which runs them in order (docs/how-it-works.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from common import SweepFailed, SweepInterrupted, UserError

from .config import SweepConfig, load_config

if TYPE_CHECKING:
    from .outputs import RunSummary, StatusView

__all__ = [
    "SweepConfig",
    "SweepFailed",
    "SweepInterrupted",
    "UserError",
    "export_trial",
    "load_config",
    "resume_sweep",
    "run_status",
    "run_sweep",
    "write_report",
]


def run_sweep(cfg: SweepConfig, address: str | None = None, verbose: bool = False) -> RunSummary:
    """Run the sweep described by ``cfg`` and its verdict; return its summary (``summary.json``)."""
    from ._pipeline import run_sweep as _run

    return _run(cfg, address=address, verbose=verbose)


def resume_sweep(
    run_dir: str | Path,
    address: str | None = None,
    resume_errored: bool = False,
    restart_errored: bool = False,
    verbose: bool = False,
) -> RunSummary:
    """Continue the interrupted sweep in ``run_dir`` and its verdict; return its summary."""
    from ._pipeline import resume_sweep as _resume

    return _resume(
        run_dir, address=address, resume_errored=resume_errored, restart_errored=restart_errored, verbose=verbose
    )


def run_status(run_dir: str | Path) -> StatusView:
    """The sweep's trials and the best so far, read from ``run_dir`` without Ray."""
    from .outputs import run_status as _status

    return _status(run_dir)


def export_trial(run_dir: str | Path, out: str | Path, trial_id: str | None = None) -> Path:
    """Write the best trial (or ``trial_id``) as a Hugging Face model directory at ``out``."""
    from .outputs import export_trial as _export

    return _export(run_dir, out, trial_id)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` and its PNGs (default ``RUN_DIR/report``); return the HTML path."""
    from .outputs import write_report as _report

    return _report(run_dir, out)
