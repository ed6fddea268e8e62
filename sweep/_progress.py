"""One line per finished trial instead of Tune's full result tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console


def trial_line(number: int, total: int, config: dict, result: dict) -> str:
    return (
        f"trial {number}/{total}: temperature={config.get('temperature')} n_synthetic={config.get('n_synthetic')} "
        f"real_ratio={float(config.get('real_ratio', 0)):.2f} "
        f"-> best val AUC {result.get('best_val_auc', float('nan')):.3f} "
        f"after {result.get('epoch', 0)} epochs; synthetic {result.get('synthetic_generated', 0)} generated, "
        f"{result.get('synthetic_from_cache', 0)} cached; {result.get('time_total_s', 0):.1f} s"
    )


def make_callback(total: int) -> Any:
    from ray.tune import Callback

    class TrialLines(Callback):
        def __init__(self) -> None:
            self.done = 0

        @property
        def console(self) -> Console:
            # Made on first use, not in __init__: Tune pickles its callbacks with the Tuner, and a
            # rich Console holds a lock that cannot be pickled.
            if getattr(self, "_console", None) is None:
                self._console = Console(stderr=True)
            return self._console

        def __getstate__(self) -> dict:
            return {k: v for k, v in self.__dict__.items() if k != "_console"}

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.done += 1
            self.console.print(trial_line(self.done, total, trial.config, trial.last_result or {}))

        def on_trial_error(self, iteration, trials, trial, **info):
            self.done += 1
            self.console.print(f"trial {self.done}/{total} {trial.trial_id} failed; see {trial.local_path}/error.txt")

    return TrialLines()
