"""The sweep's searcher: Ray Tune's OptunaSearch, tolerant of trials it did not suggest.

Imports Ray and Optuna; the runner imports this module only when it builds a tuner.
"""

from __future__ import annotations

from ray.tune.search.optuna import OptunaSearch


class SweepSearch(OptunaSearch):
    """OptunaSearch that ignores results of trials it is not waiting for.

    ``resume --restart-errored`` gives an errored trial a fresh id that Optuna never handed out
    (plain OptunaSearch raises KeyError on its first result), and ``--resume-errored`` sends
    results for a trial Optuna already closed as failed (plain OptunaSearch warns every epoch).
    Those trials' results are still in the run directory; Optuna only stops learning from them.
    """

    def _waiting_for(self, trial_id: str) -> bool:
        return trial_id in self._ot_trials and trial_id not in self._completed_trials

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if self._waiting_for(trial_id):
            super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if self._waiting_for(trial_id):
            super().on_trial_complete(trial_id, result=result, error=error)
