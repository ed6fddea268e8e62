"""``synthsweep resume``: continue a sweep stopped by Ctrl-C, a killed driver or a lost Ray cluster.

Tune keeps everything needed in the run directory: ``tuner.pkl`` (search space, searcher,
run config), the experiment state snapshot (trial statuses, latest checkpoints) and the
OptunaSearch state. Resume rebuilds what lived only in the dead driver (the data, a new Ray,
a new generator service under a new name) and hands Tune a trainable bound to them.
Finished trials are never run again; unfinished ones continue from their latest checkpoint.
"""

from __future__ import annotations

import logging
from pathlib import Path

from common import UserError

from ._inputs import Prepared, prepare, run_inputs
from ._runner import build_tuner, connect, driver_env, execute, finish_run, quiet_ray, report_errors, start_run_dir
from ._runstate import claim, load_run, read_state, write_state

_log = logging.getLogger("synthsweep")


def recorded_config(run_dir: Path):
    """The resolved config the sweep ran with, pointed at where the run directory is now."""
    from .config import load_config

    cfg = load_config(run_dir / "config.yaml")
    # The directory may have moved (another mount, a copied results folder): it is the truth.
    cfg.storage = run_dir.resolve().parent
    cfg.name = run_dir.name
    if "checkpoint_interval_s" not in cfg.search.model_fields_set:  # not in the recorded file
        # A sweep started before the interval existed keeps checkpoints scored by their own epoch's
        # AUC in its Tune state: each improving epoch must reach Tune with its own report.
        cfg.search.checkpoint_interval_s = 0.0
    return cfg


def _check_inputs(p: Prepared, recorded: dict) -> None:
    """Trials of one sweep must see the same data and models: refuse if they changed."""
    if not recorded:
        return
    now = run_inputs(p)
    # Compared by content: the run recorded paths as typed, the resolved config holds them absolute.
    if sorted(recorded.get("data", {}).values()) != sorted(now["data"].values()):
        files = ", ".join(now["data"])
        raise UserError(f"data files changed since the sweep started ({files}); resume needs the same data")
    for key in ("generator", "classifier"):
        if recorded.get(key) and now[key] != recorded[key]:
            raise UserError(f"{key}.model changed since the sweep started; resume needs the same model")


def resume_sweep(
    run_dir: str | Path,
    address: str | None = None,
    resume_errored: bool = False,
    restart_errored: bool = False,
    verbose: bool = False,
) -> Path:
    """Continue the sweep in ``run_dir`` until it has ``search.num_samples`` finished trials.

    ``resume_errored`` retries errored trials from their latest checkpoint, ``restart_errored``
    from scratch; by default errored trials stay errored (they already used their
    ``search.max_failures`` retries). ``verbose`` shows Ray's and Tune's own messages.
    """
    from ._trials import TrialStatus, read_trials

    if resume_errored and restart_errored:
        raise UserError("choose one of --resume-errored and --restart-errored")
    run_dir, state = load_run(run_dir)
    errored = [r for r in read_trials(run_dir) if r.state == TrialStatus.ERROR]
    retry = resume_errored or restart_errored
    if state.status == "finished" and not (retry and errored):
        hint = (
            f"; retry its {len(errored)} errored trial(s) with --resume-errored or --restart-errored" if errored else ""
        )
        raise UserError(f"{run_dir} holds a finished sweep; nothing to resume{hint}")
    if state.status == "failed" and not retry:
        raise UserError(
            f"{run_dir} holds a sweep in which no trial finished; retry its {len(errored)} errored trial(s) "
            "with --resume-errored or --restart-errored"
        )
    if state.driver_alive():
        raise UserError(f"{run_dir} is being run by process {state.pid}; stop it first or wait for it")

    cfg = recorded_config(run_dir)
    quiet_ray(address or cfg.ray.address, verbose)
    p = prepare(cfg, run_dir=run_dir)
    _check_inputs(p, state.inputs)
    address = address or cfg.ray.address
    ray_start_s = connect(cfg, address, driver_env(), verbose)

    from ray import tune

    if tune.Tuner.can_restore(str(run_dir.resolve())):

        def make_tuner(trainable):
            return tune.Tuner.restore(
                str(run_dir.resolve()),
                trainable=trainable,
                resume_unfinished=True,
                resume_errored=resume_errored,
                restart_errored=restart_errored,
            )

        state.resumed += 1
        state.finished = None
        claim(run_dir, state)
    else:
        # Stopped before Tune wrote its state: no trial ran, so start the sweep in place.
        if any(run_dir.glob("train_classifier_*")):
            raise UserError(f"{run_dir} has trial directories but no Tune state (tuner.pkl); it cannot be resumed")
        _log.warning("%s never started a trial; starting its sweep now", run_dir)

        def make_tuner(trainable):
            return build_tuner(p, trainable)

        start_run_dir(p)
    try:
        timings = execute(p, make_tuner, address, verbose, ray_start_s)
    except BaseException:
        latest = read_state(run_dir)
        if latest is not None and latest.status == "running":
            # Failed for another reason than an interruption: the driver is gone all the same.
            latest.status = "interrupted"
            write_state(run_dir, latest)
        raise
    finish_run(p, timings)
    report_errors(run_dir, cfg.search.num_samples)
    return run_dir
