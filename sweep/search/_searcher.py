"""The sweep's searcher: Ray Tune's OptunaSearch, with the baseline outside Optuna's space.

Imports Ray and Optuna; ``_tuner`` imports this module only when it builds a tuner.
"""

from __future__ import annotations

import math
from typing import Any

from ray.tune.search.optuna import OptunaSearch

from ..config import really_used


class SweepSearch(OptunaSearch):
    """OptunaSearch that hands out the baseline first, learns from what trials really used,
    and ignores results of trials it is not waiting for.

    * The baseline (``n_synthetic`` 0) is the first trial but not a point of Optuna's search space
      (which starts at one grid step of synthetic data): Optuna never sees it, so TPE neither
      models a mix from it nor samples 0 again.
    * A trial's pools can come back short after filtering, and the weight cap can raise the real
      share: Optuna is told the values the trial trained with (``n_synthetic_used``, ``real_share``).
    * ``resume --restart-errored`` gives an errored trial a fresh id that Optuna never handed out
      (plain OptunaSearch raises KeyError on its first result), and ``--resume-errored`` sends
      results for a trial Optuna already closed as failed. Those trials' results are still in the
      run directory; Optuna only stops learning from them.
    """

    def __init__(self, *args: Any, baseline: dict[str, Any] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._baseline_point = baseline

    def suggest(self, trial_id: str) -> dict | None:
        if self._baseline_point is not None:
            point, self._baseline_point = self._baseline_point, None
            return dict(point)
        return super().suggest(trial_id)

    def _waiting_for(self, trial_id: str) -> bool:
        return trial_id in self._ot_trials and trial_id not in self._completed_trials

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        if not self._waiting_for(trial_id):
            return
        # A trial resumed from its latest checkpoint (written only when its score improved)
        # recomputes the epochs after it: Optuna already has those steps and would warn about each.
        reported: set = self.__dict__.setdefault("_reported_steps", set())  # absent in a searcher saved before
        step = (trial_id, result.get("training_iteration"))
        if step in reported:
            return
        reported.add(step)
        super().on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        if not self._waiting_for(trial_id):
            return
        used = self._really_used(trial_id, result) if result and not error else None
        if used is None:
            super().on_trial_complete(trial_id, result=result, error=error)
            return
        import optuna

        params, distributions = used
        ot_trial = self._ot_trials[trial_id]
        assert self._ot_study is not None  # set by set_search_properties before any trial
        # The suggested point was not what trained: close it without a value, record what did.
        self._ot_study.tell(ot_trial, state=optuna.trial.TrialState.FAIL)
        self._ot_study.add_trial(
            optuna.trial.create_trial(params=params, distributions=distributions, value=result[self.metric])
        )
        self._completed_trials.add(trial_id)

    def _really_used(self, trial_id: str, result: dict) -> tuple[dict, dict] | None:
        """(params, distributions) the trial trained with, when they differ from the suggestion."""
        value = result.get(self.metric)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        ot_trial = self._ot_trials[trial_id]
        return really_used(ot_trial.params, ot_trial.distributions, result)
