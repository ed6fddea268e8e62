"""What a run leaves for people: ``summary.json`` and ``trials.csv``, the console tables, ``status``,
the HTML report, the exported model, the privacy audit and the clinician review sheet.

Ray-free by rule (``tests/test_layers.py``): nothing here imports ``sweep.cluster`` or ``sweep.search``.
"""

from ._audit import privacy_report, synthetic_examples
from ._console import console_for_output, print_summary, print_verdict
from ._export import export_trial, find_trial
from ._format import fmt, plus_minus
from ._report import rebuild_study, write_report
from ._review import ReviewScore, export_review, score_review
from ._status import StatusView, print_status, run_status
from ._summary import summarise, trial_row
from ._summary_model import RunSummary, TrialEntry, read_summary, recorded_selection
from ._tables import Column, FittedTable

__all__ = [
    "Column",
    "console_for_output",
    "FittedTable",
    "ReviewScore",
    "RunSummary",
    "StatusView",
    "TrialEntry",
    "export_review",
    "export_trial",
    "find_trial",
    "fmt",
    "plus_minus",
    "print_status",
    "print_summary",
    "print_verdict",
    "privacy_report",
    "read_summary",
    "rebuild_study",
    "recorded_selection",
    "run_status",
    "score_review",
    "summarise",
    "synthetic_examples",
    "trial_row",
    "write_report",
]
