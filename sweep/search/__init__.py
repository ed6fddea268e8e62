"""The search: Tune's space from the sweep's, the Optuna searcher, the tuner (new or restored) and
the one line per finished trial."""

from ._progress import make_callback, quiet_trial_lines, trial_line, trial_number
from ._tuner import (
    METRIC,
    build_trainable,
    can_restore,
    fit,
    new_tuner,
    restore_tuner,
    sigterm_stops_gracefully,
    trial_actors_on_ready_workers,
    tune_run_config,
    tune_space,
    without_tensorboard,
)

__all__ = [
    "METRIC",
    "build_trainable",
    "can_restore",
    "fit",
    "make_callback",
    "new_tuner",
    "quiet_trial_lines",
    "restore_tuner",
    "sigterm_stops_gracefully",
    "trial_actors_on_ready_workers",
    "trial_line",
    "trial_number",
    "tune_run_config",
    "tune_space",
    "without_tensorboard",
]
