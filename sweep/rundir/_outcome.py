"""How a sweep ended: how many trials finished, how many errored, and the first error in one line.

Judged from the trial records once the search has ended. A sweep in which no trial finished has
nothing to compare: it stops before the verdict with ``SweepFailed``; a sweep with some errored
trials goes on and says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from common import SweepFailed

from ._layout import ERROR_FILE
from ._trials import TrialRecord, TrialState


def error_line(path: Path | None) -> str:
    """The exception line of a Tune error file (``error.txt``): its last unindented line.

    Tune writes a header, Ray's actor line and the traceback; the exception with its message
    comes last. Lines of Ray's ``RayTaskError`` wrappers are skipped for the error they wrap.
    """
    if path is None or not path.is_file():
        return "no error file was written"
    lines = [ln.rstrip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    top = [ln for ln in lines if not ln[0].isspace() and not ln.startswith(("Traceback", "Failure #", "ray::"))]
    picked = top[-1] if top else (lines[-1].strip() if lines else "empty error file")
    return picked if len(picked) <= 300 else picked[:297] + "..."


@dataclass(frozen=True)
class Outcome:
    records: list[TrialRecord] = field(default_factory=list)

    @property
    def finished(self) -> list[TrialRecord]:
        """Trials that ended normally with at least one reported epoch."""
        return [r for r in self.records if r.finished]

    @property
    def errored(self) -> list[TrialRecord]:
        return [r for r in self.records if r.state == TrialState.ERROR]

    def ended(self, total: int) -> bool:
        """Every one of the ``total`` trials the sweep asked for is in a state it does not leave."""
        return len(self.records) >= total and all(r.state.final for r in self.records)

    @property
    def done(self) -> int:
        """Trials in a final state."""
        return sum(1 for r in self.records if r.state.final)

    def error_file(self, r: TrialRecord) -> Path:
        return r.path / (r.error or ERROR_FILE)

    def first_error(self) -> str:
        """``trial N (id): <exception line>; full trace: <error file>`` for the earliest errored trial."""
        if not self.errored:
            return ""
        r = self.errored[0]
        path = self.error_file(r)
        return f"trial {r.number} ({r.trial_id}): {error_line(path)}; full trace: {path}"

    def errors_line(self) -> str:
        """One line for a sweep where some trials errored (empty when none did)."""
        if not self.errored:
            return ""
        n = len(self.errored)
        return f"{n} of {len(self.records)} trials errored; the first, {self.first_error()}"


def check_outcome(outcome: Outcome, run_dir: Path) -> None:
    """Raise ``SweepFailed`` (one line) when no trial finished."""
    if outcome.finished:
        return
    if outcome.errored:
        what = (
            f"all {len(outcome.errored)} trials errored"
            if len(outcome.errored) == len(outcome.records)
            else (f"{len(outcome.errored)} of {len(outcome.records)} trials errored")
        )
        raise SweepFailed(
            f"the sweep failed, no trial finished ({what}); first error in {outcome.first_error()}; "
            f"after fixing it, retry with: synthsweep resume {run_dir} --restart-errored"
        )
    raise SweepFailed(f"the sweep failed: no trial of {run_dir} reported a result")
