"""The run directory: its file names, the run marker, trial records read from Tune's files, the
outcome of a search and which trials the verdict compares. The only code that reads Tune's files;
it starts no Ray.
"""

from ._layout import (
    CHECKPOINT_GLOB,
    CONFIG_FILE,
    ERROR_FILE,
    OPTUNA_DB,
    PRIVACY_PNG,
    REPORT_DIR,
    STATE_FILE,
    SUMMARY_FILE,
    TRIAL_DIR_GLOB,
    TRIALS_CSV,
    TUNER_FILE,
    VERDICT_SCORES,
    study_name,
    study_url,
)
from ._outcome import Outcome, check_outcome, error_line
from ._recorded import recorded_config
from ._selection import Selection, select
from ._state import RunState, RunStatus, check_resumable, claim, load_run, mark, read_state, write_state
from ._trials import TrialRecord, TrialState, read_trials, trial_params

__all__ = [
    "CHECKPOINT_GLOB",
    "CONFIG_FILE",
    "ERROR_FILE",
    "OPTUNA_DB",
    "PRIVACY_PNG",
    "REPORT_DIR",
    "STATE_FILE",
    "SUMMARY_FILE",
    "TRIALS_CSV",
    "TRIAL_DIR_GLOB",
    "TUNER_FILE",
    "VERDICT_SCORES",
    "Outcome",
    "RunState",
    "RunStatus",
    "Selection",
    "TrialRecord",
    "TrialState",
    "check_outcome",
    "check_resumable",
    "claim",
    "error_line",
    "load_run",
    "mark",
    "read_state",
    "read_trials",
    "recorded_config",
    "select",
    "study_name",
    "study_url",
    "trial_params",
    "write_state",
]
