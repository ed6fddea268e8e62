"""One line per finished trial instead of Tune's full result tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

_QUIET = {"on": False}
"""While on, finished trials print no line (``synthsweep curve`` prints one line per point instead).
Module state, not the callback's: Tune restores a resumed run's callback from tuner.pkl."""


@contextmanager
def quiet_trial_lines(on: bool = True) -> Iterator[None]:
    """No per-trial line while inside (errors are still printed)."""
    before = _QUIET["on"]
    _QUIET["on"] = on
    try:
        yield
    finally:
        _QUIET["on"] = before


def trial_number(trial: Any, fallback: int) -> int:
    """The trial's number as ``status`` and the summary show it (Tune's counter, the start of its tag)."""
    head = str(getattr(trial, "experiment_tag", "") or "").split("_", 1)[0]
    return int(head) if head.isdigit() else fallback


def trial_line(number: int, total: int, config: dict, result: dict, done: int | None = None) -> str:
    """One line per finished trial: ``trial 4 (3/8 done): ...``; ``number`` is what ``export --trial`` takes."""
    from trainables import TrialParams

    try:  # the values the trial used: temperature on its 0.1 grid (Tune's may read 0.7999999999999999)
        config = TrialParams.from_config(config).to_dict()
    except (KeyError, TypeError, ValueError):
        pass
    done = number if done is None else done
    return (
        f"trial {number} ({done}/{total} done): temperature={config.get('temperature')} "
        f"n_synthetic={config.get('n_synthetic')} "
        f"real_ratio={float(config.get('real_ratio', 0)):.2f} "
        f"-> best val AUC {result.get('best_val_auc', float('nan')):.3f} "
        f"after {result.get('epoch', 0)} epochs; synthetic {result.get('synthetic_generated', 0)} generated, "
        f"{result.get('synthetic_from_cache', 0)} cached; {result.get('time_total_s', 0):.1f} s"
    )


def make_callback(total: int) -> Any:
    from ray.tune import Callback

    from ..rundir import ERROR_FILE, TrialState

    class TrialLines(Callback):
        # Tune pickles the run config (callbacks included) into tuner.pkl for resume, so this
        # holds no console (a lock) and counts finished trials from Tune's own list, which a
        # resumed sweep restores, instead of a counter that would start again at zero.
        def _done(self, trials: list, trial: Any) -> int:
            return sum(1 for t in trials if t is trial or TrialState.read(t.status).final)

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if _QUIET["on"]:
                return
            done = self._done(trials, trial)
            number = trial_number(trial, done)
            line = trial_line(number, total, trial.config, trial.last_result or {}, done)
            Console(stderr=True).print(line, soft_wrap=True)  # the terminal wraps it: no trailing space

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            Console(stderr=True).print(
                f"trial {trial_number(trial, 0)} ({trial.trial_id}, {self._done(trials, trial)}/{total} done) "
                f"failed; see {trial.local_path}/{ERROR_FILE}",
                soft_wrap=True,
            )

    return TrialLines()
