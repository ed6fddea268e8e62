"""Starting or joining Ray for a sweep, checked once: does the sweep fit, can every node do its part?"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import UserError, erase_orphan_bars, force_offline

from ..config import SweepConfig, search_plan
from ._nodes import check_nodes
from ._placement import Plan, local_nodes, plan_placement, ray_nodes

NAMESPACE = "synthsweep"
PRELOAD_VAR = "RAY_preload_python_modules"
"""Ray's setting (read when a local Ray starts) naming modules its idle workers import ahead."""
TRIAL_WORKER_MODULE = "trainables._trial_worker"
TEST_HOOK_ENV = ("SYNTHSWEEP_TEST_FAIL_ONCE_DIR", "SYNTHSWEEP_TEST_HOLD_FILE")
"""Test hooks (``trainables.trainable.planted_failure``, ``held_while_file_exists``) passed on to Ray
workers when set."""


def driver_env() -> dict[str, str]:
    """Environment every Ray worker gets: the offline switches, and test hooks when set."""
    env = force_offline()
    env.update({k: os.environ[k] for k in TEST_HOOK_ENV if os.environ.get(k)})
    # num_to_keep=1 forces a state snapshot per checkpoint (what resume wants); Tune warns each time.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    return env


def quiet_ray(address: str | None, verbose: bool) -> None:
    """Unless ``verbose``: no Ray or Tune start-up messages, configuration box or TensorBoard hint.

    Only documented switches: ``RAY_AUTH_MODE=token`` is what a new local Ray chooses anyway,
    set explicitly it is not announced; ``RAY_AIR_NEW_OUTPUT=0`` selects Tune's classic output,
    which at ``verbose=0`` prints nothing (the trial lines are synthsweep's own). A value the
    user set in the environment is kept. Ray reads ``RAY_AUTH_MODE`` when it is imported, so it
    is only set before that (call this first); later, Ray's own default and its warning stay.
    On Ctrl-C, Tune's own loggers say it stopped and suggest ``Tuner.restore``; synthsweep's last
    line gives the ``synthsweep resume`` command instead, so those two loggers show errors only.
    """
    if verbose:
        return
    if not address and "ray" not in sys.modules:
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    for name in ("ray.tune.tune", "ray.tune.analysis.experiment_analysis"):
        logging.getLogger(name).setLevel(logging.ERROR)


def starts_local_ray(address: str | None) -> bool:
    """Whether ``ray.init(address)`` will start a new Ray on this machine (no cluster to join)."""
    if address or os.environ.get("RAY_ADDRESS"):
        return False
    try:  # Ray's own rule: no address, and no `ray start` cluster recorded on this machine
        from ray._private.services import canonicalize_bootstrap_address

        return canonicalize_bootstrap_address(None) is None
    except Exception:  # a Ray without this helper: pass the environment explicitly, always correct
        return False


def init_ray(address: str | None, env: dict[str, str], verbose: bool = False) -> float:
    """Start or join Ray with ``env`` in every worker's environment; seconds taken.

    A Ray started here inherits this process's environment, which already holds ``env``, so no
    job ``runtime_env`` is set: with one, Ray cannot hand a trial one of the idle workers it starts
    ahead (one per CPU), and those workers import ``ray.tune`` and the trainable ahead
    (``trainables._trial_worker``), so the first trial starts at once instead of after a new
    process's start-up (``bench/tune_start.py``). Workers on a cluster's other machines do not
    inherit it: there the variables travel as the job's ``runtime_env``.
    """
    import ray

    t0 = time.perf_counter()
    local = starts_local_ray(address)
    if local:
        os.environ.update(env)  # normally a no-op: the offline switches and test hooks are set already
        os.environ.setdefault(PRELOAD_VAR, TRIAL_WORKER_MODULE)  # a user's own preload list wins
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.INFO if verbose else logging.WARNING,
            log_to_driver=True,
            namespace=NAMESPACE,
            runtime_env=None if local else {"env_vars": env},
        )
    except ConnectionError as e:
        raise UserError(join_failure(address, e)) from None
    return time.perf_counter() - t0


def has_ray_token() -> bool:
    """Whether this driver has a Ray token to show a cluster (``RAY_AUTH_TOKEN``, its path, ``~/.ray/auth_token``)."""
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return True
    return (Path.home() / ".ray" / "auth_token").is_file()


def join_failure(address: str | None, e: BaseException) -> str:
    """One line on why joining the cluster failed; a missing token is the usual cause with Ray's defaults."""
    where = f"cannot join the Ray cluster at {address} ({e})"
    if not has_ray_token():
        return (
            f"{where}: this driver has no Ray token, and a cluster started with `ray start --head` requires one; "
            "set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN (the head's `ray get-auth-token`) or copy the token to "
            "~/.ray/auth_token (README: Clusters and GPUs)"
        )
    return (
        f"{where}: check that the head is up at that address and that this driver's Ray token "
        "(RAY_AUTH_TOKEN or ~/.ray/auth_token) is the cluster's"
    )


def shutdown_ray() -> None:
    """``ray.shutdown()``, waiting until the processes of a Ray started here have exited and are reaped.

    By default Ray gives its raylet a second, kills it, waits one more second and leaves it
    unreaped: once this process exits, a zombie of the machine's first process, whose workers keep
    seeing its pid alive (their only sign that it runs) and never exit where that process reaps
    no orphans.
    """
    import inspect

    import ray

    if not ray.is_initialized():
        return
    if "wait_for_processes" in inspect.signature(ray.shutdown).parameters:  # Ray 2.60 and later
        ray.shutdown(wait_for_processes=True)
    else:
        ray.shutdown()
    erase_orphan_bars()


@dataclass(frozen=True)
class Connection:
    owned: bool
    """Ray was started or joined here, so the sweep shuts it down again; else the caller owns it."""
    start_s: float
    """Seconds Ray took to start or join."""


def _refuse_unless_fits(plan: Plan) -> None:
    if not plan.fits:
        raise UserError(plan.problem)


def connect(cfg: SweepConfig, address: str | None, env: dict[str, str], verbose: bool = False) -> Connection:
    """Start or join Ray, checking once that the sweep fits, then that every node can do its part.

    Generator actors hold their CPUs, GPUs and custom resources for the whole sweep, so a sweep
    that can never be placed would wait forever. A local Ray is planned against this machine
    before it starts (refused in a fraction of a second); a connected Ray or a joined cluster
    against its nodes. Runs before the run directory is written, so a refused sweep leaves nothing
    behind; a Ray started here is shut down again when a check fails.
    """
    import ray

    owned = not ray.is_initialized()
    planned_here = owned and starts_local_ray(address)
    if planned_here:
        _refuse_unless_fits(plan_placement(cfg, local_nodes(), "this machine (Ray not started yet)"))
    seconds = init_ray(address, env, verbose) if owned else 0.0
    try:
        if not planned_here:
            _refuse_unless_fits(plan_placement(cfg, ray_nodes(), "the connected Ray"))
        check_nodes(cfg, ray_nodes())
    except BaseException:
        if owned:
            shutdown_ray()
        raise
    return Connection(owned, seconds)


def plan_sweep(cfg: SweepConfig, address: str | None = None, out: Callable[[str], None] = print) -> bool:
    """``run --dry-run``: print the placement plan with ``out``; raise the one-line refusal when it does not fit.

    Plans against the Ray this process is connected to, the cluster at ``address`` (joined and
    left again; nothing is started on it), or this machine. Data and models are not read.
    """
    import ray

    address = address or cfg.ray.address
    if ray.is_initialized():
        plan = plan_placement(cfg, ray_nodes(), "the connected Ray")
    elif address:
        init_ray(address, {})
        try:
            plan = plan_placement(cfg, ray_nodes(), f"the Ray cluster at {address}")
        finally:
            shutdown_ray()
    else:
        plan = plan_placement(cfg, local_nodes(), "this machine (a local Ray would start here)")
    out(f"plan for {cfg.name} (dry run: nothing is started or written)")
    for line in plan.lines():
        out(line)
    out(search_plan(cfg.search))
    out(f"storage: {cfg.storage.resolve()} (every node must see it; checked from each node at start)")
    _refuse_unless_fits(plan)
    return True
