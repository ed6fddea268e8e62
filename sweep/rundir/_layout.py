"""Every file name of a run directory, written once.

synthsweep writes ``config.yaml``, the run marker, ``summary.json`` and ``trials.csv``; Ray Tune
writes the rest (one directory per trial, its experiment state, ``tuner.pkl``).
"""

from __future__ import annotations

import re
from pathlib import Path

CONFIG_FILE = "config.yaml"
"""The config as run: names, storage and input paths resolved (``resume`` reloads it)."""
STATE_FILE = "synthsweep_run.json"
"""The run marker: running, interrupted, failed or finished, and by which driver."""
SUMMARY_FILE = "summary.json"
"""Written once the verdict is done (``outputs.RunSummary``)."""
TRIALS_CSV = "trials.csv"
VERDICT_SCORES = "verdict_scores.npz"
"""Each verdict arm's test-split class probabilities per seed, and the test labels (numbers, no
text): what ``synthsweep curve`` combines its draws from."""
REPORT_DIR = "report"
"""``synthsweep report``'s default output directory, inside the run directory."""
PRIVACY_PNG = "privacy.png"

TUNER_FILE = "tuner.pkl"
"""Tune's own record of the search (space, searcher, run config): what ``Tuner.restore`` reads."""
EXPERIMENT_STATE_GLOB = "experiment_state-*.json"
TRIAL_DIR_GLOB = "train_classifier_*"
"""Tune names a trial's directory after the trainable, ``trainables.train_classifier``."""
TRIAL_DIR = re.compile(r"_(?P<id>[0-9a-f]{8})_(?P<num>\d+)_")
"""The trial id and number in a trial directory's name, e.g.
``train_classifier_b4a09960_1_n_synthetic=0,real_ratio=1.0000,temperature=0.6000_2026-11-21_14-02-22``."""
PARAMS_FILE = "params.json"
RESULT_FILE = "result.json"
"""One JSON line per reported epoch."""
ERROR_FILE = "error.txt"
ERROR_FILES = (ERROR_FILE, "error.pkl")
CHECKPOINT_GLOB = "checkpoint_*"

OPTUNA_DB = "optuna.db"
"""The search's Optuna study (SQLite) unless ``search.storage`` names another database:
``optuna-dashboard sqlite:///RUN_DIR/optuna.db`` shows it live."""


def study_url(storage: str | None, run_dir: Path) -> str:
    """The Optuna storage URL of a run's study: ``search.storage``, or SQLite in the run directory."""
    return storage or f"sqlite:///{(Path(run_dir) / OPTUNA_DB).resolve()}"


def study_name(run_dir: Path) -> str:
    """The run's study in that storage: named by the run directory, so runs sharing a database
    (``search.storage``) keep their studies apart and a resumed run finds its own."""
    return f"synthsweep:{Path(run_dir).resolve()}"
