"""A sweep from the command line to ``summary.json``, as a list of stages.

``run_sweep`` and ``resume_sweep`` differ only in where they start (a new search, or Tune's saved
one restored: a ``Start``) and both end in ``_drive``, so connecting to Ray, signals, the run
marker, the verdict and clean-up are handled once, as Ray Tune's ``Tuner(...)`` and
``Tuner.restore(...)`` both end in its ``tuner_internal``:

1. inputs: models and data checked (``inputs.prepare``) before anything starts;
2. Ray: started or joined, the placement checked once, every node checked (``cluster.connect``);
3. the run directory claimed: ``config.yaml`` and the marker (a new search), or the marker alone;
4. the search: service actors up, Tune fitted, actors killed (``cluster.running_services``, ``search.fit``);
5. its outcome judged from the trial records, read once;
6. the verdict on the test split, for the trials ``rundir.select`` chose once;
7. ``trials.csv`` and ``summary.json`` written, the run marked finished, the tables printed.

Ctrl-C or SIGTERM at any stage after 3 marks the run interrupted and names the resume command;
any other error marks it interrupted too (its driver is gone), so ``resume`` continues it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common import SweepFailed, SweepInterrupted, UserError, bar_owner_env, received_signal

from .cluster import connect, driver_env, quiet_ray, running_services, shutdown_ray
from .config import SweepConfig, search_plan
from .inputs import Prepared, check_inputs, classifier_settings, prepare, resolved_config, run_inputs
from .outputs import RunSummary, print_summary, summarise
from .rundir import (
    CONFIG_FILE,
    TRIAL_DIR_GLOB,
    VERDICT_SCORES,
    Outcome,
    RunState,
    RunStatus,
    TrialRecord,
    check_outcome,
    check_resumable,
    claim,
    load_run,
    mark,
    read_trials,
    recorded_config,
    select,
)
from .search import build_trainable, can_restore, fit, new_tuner, quiet_trial_lines, restore_tuner
from .verdict import run_verdict

_log = logging.getLogger("synthsweep")


@dataclass(frozen=True)
class Start:
    """Where a sweep starts: how its run directory is claimed and how its tuner is made."""

    claim: Callable[[], None]
    make_tuner: Callable[[Any], Any]
    """The tuner for a trainable (``search.new_tuner`` or ``search.restore_tuner``)."""
    announce: str | None = None
    """A line for the user before the search starts."""


class _StoppedEarly(Exception):
    """Tune returned before every trial ended: it was stopped (a first Ctrl-C, SIGTERM)."""


def run_sweep(cfg: SweepConfig, address: str | None = None, verbose: bool = False, quiet: bool = False) -> RunSummary:
    """Run the sweep described by ``cfg``; ``verbose`` shows Ray's and Tune's own messages, ``quiet``
    prints neither a line per trial nor the tables (``synthsweep curve`` runs many sweeps)."""
    address = address or cfg.ray.address
    quiet_ray(address, verbose)
    p = prepare(cfg)
    if p.run_dir != cfg.run_dir:
        _log.warning("%s holds a finished sweep; this run writes to %s", cfg.run_dir, p.run_dir)
    return _drive(p, _new_search(p), address, verbose, quiet)


def resume_sweep(
    run_dir: str | Path,
    address: str | None = None,
    resume_errored: bool = False,
    restart_errored: bool = False,
    verbose: bool = False,
    quiet: bool = False,
) -> RunSummary:
    """Continue the sweep in ``run_dir`` until it has ``search.num_samples`` finished trials.

    ``resume_errored`` retries errored trials from their latest checkpoint, ``restart_errored``
    from scratch; by default errored trials stay errored (they already used their
    ``search.max_failures`` retries).
    """
    if resume_errored and restart_errored:
        raise UserError("choose one of --resume-errored and --restart-errored")
    run_dir, state = load_run(run_dir)
    errored = Outcome(read_trials(run_dir)).errored
    check_resumable(run_dir, state, len(errored), retry=resume_errored or restart_errored)
    cfg = recorded_config(run_dir)
    address = address or cfg.ray.address
    quiet_ray(address, verbose)
    p = prepare(cfg, run_dir=run_dir)
    check_inputs(p, state.inputs)
    return _drive(p, _resumed_search(p, state, resume_errored, restart_errored), address, verbose, quiet)


def _new_search(p: Prepared) -> Start:
    def claim_new() -> None:
        p.run_dir.mkdir(parents=True, exist_ok=True)
        config = yaml.safe_dump(resolved_config(p.cfg, p.run_dir), sort_keys=False)
        (p.run_dir / CONFIG_FILE).write_text(config)
        claim(p.run_dir, RunState(status=RunStatus.RUNNING, started=time.time(), inputs=run_inputs(p)))

    return Start(claim_new, lambda trainable: new_tuner(p, trainable), search_plan(p.cfg.search))


def _resumed_search(p: Prepared, state: RunState, resume_errored: bool, restart_errored: bool) -> Start:
    """Tune's saved search; a run stopped before Tune wrote its state never ran a trial and starts in place."""
    if not can_restore(p.run_dir):
        if any(p.run_dir.glob(TRIAL_DIR_GLOB)):
            raise UserError(f"{p.run_dir} has trial directories but no Tune state (tuner.pkl); it cannot be resumed")
        _log.warning("%s never started a trial; starting its sweep now", p.run_dir)
        return _new_search(p)

    def claim_again() -> None:
        state.resumed += 1
        state.finished = None
        claim(p.run_dir, state)

    return Start(claim_again, lambda trainable: restore_tuner(p.run_dir, trainable, resume_errored, restart_errored))


def _drive(p: Prepared, start: Start, address: str | None, verbose: bool, quiet: bool = False) -> RunSummary:
    """The one path of every sweep, from connecting to Ray to the printed summary."""
    for note in [] if quiet else p.cfg.notes():
        print(note, file=sys.stderr)
    env = driver_env()
    ray_ = connect(p.cfg, address, env, verbose)  # a refusal here leaves nothing written
    try:
        start.claim()
        if start.announce and not quiet:
            print(start.announce, file=sys.stderr, flush=True)
        try:
            with quiet_trial_lines(quiet):
                records, timings = _search(p, start, env, ray_.start_s)
            if ray_.owned:
                shutdown_ray()  # the verdict needs no Ray: its workers' memory goes back now
            summary = _conclude(p, records, timings, quiet)
            errors = Outcome(records).errors_line()
        except (KeyboardInterrupt, _StoppedEarly):
            raise _interrupted(p) from None
        except SweepFailed:
            raise
        except BaseException:
            mark(p.run_dir, RunStatus.INTERRUPTED, only_if=RunStatus.RUNNING)  # its driver is gone all the same
            raise
    finally:
        if ray_.owned:
            shutdown_ray()  # before the last line, so the resume hint stays the last thing on the screen
    if errors:
        print(f"warning: {errors}", file=sys.stderr)
    return summary


def _search(p: Prepared, start: Start, env: dict[str, str], ray_start_s: float) -> tuple[list[TrialRecord], dict]:
    """Fit the tuner with the service actors running; the trial records once every trial has ended."""
    t0 = time.perf_counter()
    timings = {"ray_start_s": ray_start_s}
    env = {**env, **bar_owner_env()}  # progress bars drawn as the driver's, without a pid (common._bars)
    with running_services(p, env) as services:
        timings["generator_start_s"] = services.start_s
        tuner = start.make_tuner(build_trainable(p, services.pools, env, services.feature_store))
        t1 = time.perf_counter()
        fit(tuner)
        timings["tune_s"] = time.perf_counter() - t1
    outcome = Outcome(read_trials(p.run_dir))
    if not outcome.ended(p.cfg.search.num_samples):
        raise _StoppedEarly
    if not outcome.finished:  # nothing to compare: stop before the verdict, with the first error
        mark(p.run_dir, RunStatus.FAILED)
        check_outcome(outcome, p.run_dir)
    timings["wall_s"] = time.perf_counter() - t0
    return outcome.records, timings


def _conclude(p: Prepared, records: list[TrialRecord], timings: dict[str, float], quiet: bool = False) -> RunSummary:
    """The verdict for the trials chosen once, the summary written, the run marked finished, the tables printed."""
    from rich.console import Console

    selection = select(records)
    with Console(stderr=True).status("verdict: retraining the arms on fresh seeds") as status:
        scores = p.run_dir / VERDICT_SCORES
        verdict = run_verdict(
            p.cfg, p.data, classifier_settings(p), selection, progress=status.update, scores_to=scores
        )
    summary = summarise(p, records, selection, verdict, timings)
    mark(p.run_dir, RunStatus.FINISHED)
    if not quiet:
        print_summary(summary, records)
    return summary


def _interrupted(p: Prepared) -> SweepInterrupted:
    """Mark the run interrupted; the exception tells the user how to continue."""
    mark(p.run_dir, RunStatus.INTERRUPTED)
    done = Outcome(read_trials(p.run_dir)).done
    return SweepInterrupted(p.run_dir, done, p.cfg.search.num_samples, signum=received_signal())
