"""The config a run was started with, read back from its directory (resume, status, report, export)."""

from __future__ import annotations

from pathlib import Path

from ..config import SweepConfig, load_config
from ._layout import CONFIG_FILE


def recorded_config(run_dir: Path) -> SweepConfig:
    """The resolved config the sweep ran with, pointed at where the run directory is now."""
    cfg = load_config(run_dir / CONFIG_FILE)
    # The directory may have moved (another mount, a copied results folder): it is the truth.
    cfg.storage = run_dir.resolve().parent
    cfg.name = run_dir.name
    if "checkpoint_interval_s" not in cfg.search.model_fields_set:  # not in the recorded file
        # A sweep started before the interval existed keeps checkpoints scored by their own epoch's
        # AUC in its Tune state: each improving epoch must reach Tune with its own report.
        cfg.search.checkpoint_interval_s = 0.0
    return cfg
