"""Ray Tune for a sweep: the trainable, a new tuner or Tune's saved one restored, and the fit.

A new search and a restored one differ only in how the tuner is made (``new_tuner``,
``restore_tuner``); both are fitted by ``fit``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import note_signal, on_sigterm

from ..config import SearchSpace, SweepConfig
from ..inputs import Prepared, trial_data, trial_settings
from ..rundir import study_name, study_url

METRIC = "best_val_auc"
"""What Optuna maximises: a trial's best validation AUC over its epochs."""


def tune_space(space: SearchSpace) -> dict[str, Any]:
    """Tune's search space: a constant for a single value, else the sampler of its kind and grid."""
    from ray import tune

    out: dict[str, Any] = {}
    for r in space.ranges.values():
        kind = r.dimension.kind
        if r.constant:
            out[r.name] = r.value
        elif kind == "choice":
            out[r.name] = tune.choice(list(r.choices))
        elif kind == "int":
            out[r.name] = tune.qrandint(int(r.low), int(r.high), int(r.step or 1))
        elif r.step is not None:
            out[r.name] = tune.quniform(r.low, r.high, r.step)
        else:
            out[r.name] = tune.uniform(r.low, r.high)
    return out


def build_trainable(p: Prepared, pools: dict[str, str], env: dict[str, str], feature_store: str | None) -> Any:
    """The Tune trainable bound to the sweep's data and settings (``tune.with_parameters``) and its resources."""
    from ray import tune

    from trainables.trainable import train_classifier

    trainable = tune.with_parameters(
        train_classifier, data=trial_data(p.data), settings=trial_settings(p, pools, env, feature_store)
    )
    res = p.cfg.resources.trial
    return tune.with_resources(trainable, {"cpu": res.cpus, "gpu": res.gpus, **res.custom})


def tune_run_config(cfg: SweepConfig, run_dir: Path) -> Any:
    """Tune's RunConfig: storage, the per-trial line callback, the kept checkpoint, retries."""
    from ray import tune
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

    from ._progress import make_callback

    return tune.RunConfig(
        name=run_dir.name,
        storage_path=str(run_dir.parent.resolve()),
        verbose=0,  # Tune's per-epoch tables drown the generation progress bars; one line per trial instead
        # Tune's JSON and CSV loggers, named so that its TensorBoard logger can be left out (see
        # ``without_tensorboard``); synthsweep reads each trial's params.json and result.json.
        callbacks=[make_callback(cfg.search.num_samples), JsonLoggerCallback(), CSVLoggerCallback()],
        # One kept checkpoint per trial: its best epoch (what export wants). A checkpoint holds the
        # best epoch so far and may come with a later epoch's report (search.checkpoint_interval_s),
        # so it is scored by that report's best-so-far AUC, which never falls: the newest is kept.
        checkpoint_config=tune.CheckpointConfig(
            num_to_keep=1, checkpoint_score_attribute="best_val_auc", checkpoint_score_order="max"
        ),
        failure_config=tune.FailureConfig(max_failures=cfg.search.max_failures),
    )


def new_tuner(p: Prepared, trainable: Any) -> Any:
    """A tuner for a new search: OptunaSearch with seeded TPE, the baseline first, at most
    ``search.max_concurrent`` trials at once."""
    import optuna
    from optuna.samplers import TPESampler
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter

    from ._searcher import SweepSearch

    cfg = p.cfg
    space = SearchSpace.from_config(cfg)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    searcher = SweepSearch(
        metric=METRIC,
        mode="max",
        sampler=TPESampler(seed=cfg.seed, n_startup_trials=cfg.search.random_trials()),
        # Kept in a database, not in memory only, so optuna-dashboard can watch the study live;
        # Tune's saved searcher holds the storage, so a resumed run keeps adding to the same study.
        storage=optuna.storages.RDBStorage(study_url(cfg.search.storage, p.run_dir)),
        study_name=study_name(p.run_dir),
        baseline=space.baseline,
    )
    return tune.Tuner(
        trainable,
        param_space=tune_space(space),
        tune_config=tune.TuneConfig(
            search_alg=ConcurrencyLimiter(searcher, max_concurrent=cfg.search.max_concurrent),
            num_samples=cfg.search.num_samples,
            # A finished trial's worker (Python, torch, the loaded encoder) serves the next trial:
            # a new process per trial would cost more than a short head-mode trial trains.
            reuse_actors=True,
        ),
        run_config=tune_run_config(cfg, p.run_dir),
    )


def can_restore(run_dir: Path) -> bool:
    """Whether Tune saved its state in ``run_dir`` (``rundir.TUNER_FILE``), so ``restore_tuner`` can continue it."""
    from ray import tune

    return bool(tune.Tuner.can_restore(str(run_dir.resolve())))


def restore_tuner(run_dir: Path, trainable: Any, resume_errored: bool, restart_errored: bool) -> Any:
    """Tune's saved tuner: finished trials stay finished, unfinished ones continue from their latest
    checkpoint; errored ones stay errored unless asked (from their checkpoint, or from scratch)."""
    from ray import tune

    return tune.Tuner.restore(
        str(run_dir.resolve()),
        trainable=trainable,
        resume_unfinished=True,
        resume_errored=resume_errored,
        restart_errored=restart_errored,
    )


@contextmanager
def without_tensorboard(tuner: Any) -> Iterator[None]:
    """No TensorBoard event files while ``tuner`` fits, when its run config names Tune's JSON logger.

    Tune adds its TensorBoard logger to every run unless told not to, and that logger imports
    torch on the driver before the first trial can start and writes an event file per trial to
    ``storage`` that nothing here reads. The documented switch also drops Tune's JSON logger,
    which synthsweep needs, so it is only thrown for a run whose config names that logger itself
    (a run resumed from a version that did not keeps Tune's defaults).
    """
    from ray.tune.logger import JsonLoggerCallback

    run_config = getattr(getattr(tuner, "_local_tuner", None), "get_run_config", lambda: None)()
    named = any(isinstance(c, JsonLoggerCallback) for c in (getattr(run_config, "callbacks", None) or []))
    key = "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"
    before = os.environ.get(key)
    if named:
        os.environ[key] = "1"
    try:
        yield
    finally:
        if named:
            if before is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = before


@contextmanager
def trial_actors_on_ready_workers() -> Iterator[None]:
    """Tune's trial actors without a ``runtime_env`` of their own while the sweep fits.

    Tune gives every trial actor ``runtime_env={"env_vars": {"PL_DISABLE_FORK": "1"}}`` (a
    PyTorch Lightning switch synthsweep has no use for). An actor with a ``runtime_env`` of its own
    never gets one of the idle workers Ray starts ahead, so each trial actor would wait for a new
    process to start and import ``ray`` and ``ray.tune``. Without it, the first trial takes an idle
    worker that has imported them already (``cluster.init_ray``). Tune reads the variables from a
    module dict each time it registers a trainable; should a later Ray move it, trials only start slower.
    """
    try:
        from ray.tune.execution import class_cache

        defaults = class_cache.DEFAULT_ENV_VARS
    except (ImportError, AttributeError):
        yield
        return
    saved = dict(defaults)
    defaults.pop("PL_DISABLE_FORK", None)
    try:
        yield
    finally:
        defaults.clear()
        defaults.update(saved)


@contextmanager
def sigterm_stops_gracefully() -> Iterator[None]:
    """SIGTERM (a pre-empted job, ``kill``) stops the sweep like Ctrl-C: Tune saves its state first."""

    def forward(signum: int, frame: Any) -> None:
        note_signal(signum)  # the exit code says SIGTERM (143)
        os.kill(os.getpid(), signal.SIGINT)

    with on_sigterm(forward):
        yield


@contextmanager
def sigint_handler_restored() -> Iterator[None]:
    """Ctrl-C raises ``KeyboardInterrupt`` again once the search has ended.

    Tune installs its own SIGINT handler for the search (a first Ctrl-C stops it gracefully) and
    puts the previous one back only if a Ctrl-C arrived; without this, a Ctrl-C in the verdict
    would only log Tune's "ending Ray Tune run" and be ignored.
    """
    try:
        previous = signal.getsignal(signal.SIGINT)
    except ValueError:  # not the main thread: Tune installs nothing either
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def fit(tuner: Any) -> None:
    """Run the search; returns normally after a first Ctrl-C too, once Tune has saved its state."""
    with sigint_handler_restored(), sigterm_stops_gracefully(), without_tensorboard(tuner):
        with trial_actors_on_ready_workers():
            tuner.fit()
