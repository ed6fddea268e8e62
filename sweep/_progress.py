"""One line per finished trial instead of Tune's full result tables (imported only when a sweep runs)."""

from __future__ import annotations

from ray.tune import Callback
from rich.console import Console


def trial_line(number: int, total: int, config: dict, result: dict) -> str:
    return (
        f"trial {number}/{total}: temperature={config.get('temperature')} n_synthetic={config.get('n_synthetic')} "
        f"real_ratio={float(config.get('real_ratio', 0)):.2f} "
        f"-> best val AUC {result.get('best_val_auc', float('nan')):.3f} "
        f"after {result.get('epoch', 0)} epochs; synthetic {result.get('synthetic_generated', 0)} generated, "
        f"{result.get('synthetic_from_cache', 0)} cached; {result.get('time_total_s', 0):.1f} s"
    )


class TrialLines(Callback):
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def __getstate__(self) -> dict:
        # Tune pickles its run config (tuner.pkl); a console holds locks, so it is made on demand.
        return {"total": self.total, "done": self.done}

    @property
    def console(self) -> Console:
        return Console(stderr=True)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.done += 1
        self.console.print(trial_line(self.done, self.total, trial.config, trial.last_result or {}))

    def on_trial_error(self, iteration, trials, trial, **info):
        self.done += 1
        self.console.print(f"trial {self.done}/{self.total} {trial.trial_id} failed; see {trial.local_path}/error.txt")
