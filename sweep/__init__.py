"""synthsweep: search local-LLM synthetic data mixes for the best small text classifier.

Importing this package loads neither Ray, torch nor llama.cpp; they load when a sweep runs.
"""

from pathlib import Path

from common import SweepFailed, SweepInterrupted, UserError

from .config import SweepConfig, load_config

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


def run_sweep(cfg: SweepConfig, address: str | None = None) -> Path:
    """Run the sweep described by ``cfg``; return its run directory."""
    from ._runner import run_sweep as _run

    return _run(cfg, address=address)


def resume_sweep(
    run_dir: str | Path, address: str | None = None, resume_errored: bool = False, restart_errored: bool = False
) -> Path:
    """Continue the interrupted sweep in ``run_dir``; return the run directory."""
    from ._resume import resume_sweep as _resume

    return _resume(run_dir, address=address, resume_errored=resume_errored, restart_errored=restart_errored)


def run_status(run_dir: str | Path):
    """The sweep's trials and the best so far, read from ``run_dir`` without Ray."""
    from ._status import run_status as _status

    return _status(run_dir)


def export_trial(run_dir: str | Path, out: str | Path, trial_id: str | None = None) -> Path:
    """Write the best trial (or ``trial_id``) as a Hugging Face model directory at ``out``."""
    from ._export import export_trial as _export

    return _export(run_dir, out, trial_id)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` and its PNGs (default ``RUN_DIR/report``); return the HTML path."""
    from ._report import write_report as _report

    return _report(run_dir, out)
