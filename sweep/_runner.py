"""Run a sweep: check the inputs, start Ray and the generator service, run Tune with Optuna, summarise."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from common import (
    SweepInterrupted,
    UserError,
    bar_owner_env,
    force_offline,
    node_generator_kwargs,
    sha256_path,
)
from generators import GeneratorBackend

from ._inputs import (
    Prepared,
    backend_kwargs,
    classifier_settings,
    generator_cache_key,
    generator_key,
    pool_source,
    prepare,
    resolved_config,
    run_inputs,
    trial_data,
    trial_settings,
)
from ._outcome import check_outcome, sweep_outcome
from ._runstate import RunState, claim, read_state, write_state
from ._signals import note_signal, on_sigterm, received_signal
from .config import SweepConfig

NAMESPACE = "synthsweep"
METRIC = "best_val_auc"
"""What Optuna maximises: a trial's best validation AUC over its epochs."""


def search_space(cfg: SweepConfig) -> dict[str, Any]:
    """Tune's search space; only describes values, does no work."""
    from ray import tune

    s = cfg.search
    t_lo, t_hi = s.temperature
    n_lo, n_hi = s.synthetic_range  # never 0: only the first trial is the baseline
    r_lo, r_hi = s.real_ratio
    names = cfg.searched_generators()
    space = {
        "temperature": tune.quniform(t_lo, t_hi, 0.1) if t_hi > t_lo else t_lo,
        "n_synthetic": tune.qrandint(n_lo, n_hi, s.n_synthetic_step) if n_hi > n_lo else n_lo,
        "real_ratio": tune.uniform(r_lo, r_hi) if r_hi > r_lo else r_lo,
        "generator": tune.choice(names) if len(names) > 1 else names[0],
    }
    if s.consistency_min_prob is not None:  # optional dimension: off unless configured
        c_lo, c_hi = s.consistency_min_prob
        space["consistency_min_prob"] = tune.quniform(c_lo, c_hi, 0.05) if c_hi > c_lo else c_lo
    return space


def baseline_point(cfg: SweepConfig) -> dict[str, Any]:
    """The first trial: no synthetic data (the other values are then irrelevant).

    It is handed to Tune by the searcher outside Optuna's search space, so Optuna never models
    a synthetic mix from it and no later trial samples ``n_synthetic`` 0.
    """
    s = cfg.search
    point: dict[str, Any] = {"temperature": s.temperature[0], "n_synthetic": 0, "real_ratio": s.real_ratio[1]}
    if s.consistency_min_prob is not None:
        point["consistency_min_prob"] = s.consistency_min_prob[0]
    names = cfg.searched_generators()
    if len(names) > 1:  # a single generator is a constant of the space, not a dimension
        point["generator"] = names[0]
    return point


def search_plan(cfg: SweepConfig) -> str:
    """One line: how many trials are the baseline, random and guided by TPE."""
    n = cfg.search.num_samples
    random_ = cfg.search.random_trials()
    guided = n - 1 - random_
    parts = ["trial 1 is the baseline (no synthetic data)"]
    if random_:
        parts.append(f"{random_} random (TPE start-up)")
    if guided:
        parts.append(f"{guided} guided by TPE")
    return f"search: {n} trials; " + ", ".join(parts)


def check_fits(cfg: SweepConfig, address: str | None) -> None:
    """Refuse, with one line, a sweep that can never be placed: its actors and a trial do not fit.

    Generator actors hold their CPUs, GPUs and custom resources for the whole sweep, so a trial
    that finds no node with room left would wait forever. Checked against the nodes of a Ray
    this process is connected to, or before a local Ray starts, against this machine (its CPUs and
    GPUs as Ray counts them). A cluster address not yet connected is checked after connecting.
    """
    import ray

    from ._placement import local_nodes, plan_placement, ray_nodes

    if ray.is_initialized():
        plan = plan_placement(cfg, ray_nodes(), "the connected Ray")
    elif not address:
        plan = plan_placement(cfg, local_nodes(), "this machine (Ray not started yet)")
    else:
        return
    if not plan.fits:
        raise UserError(plan.problem)


def plan_sweep(cfg: SweepConfig, address: str | None = None, out: Callable[[str], None] = print) -> bool:
    """``run --dry-run``: print the placement plan with ``out``; raise the one-line refusal when it does not fit.

    Plans against the Ray this process is connected to, the cluster at ``address`` (joined and
    left again; nothing is started on it), or this machine. Data and models are not read.
    """
    import ray

    from ._placement import local_nodes, plan_placement, ray_nodes

    address = address or cfg.ray.address
    if ray.is_initialized():
        plan = plan_placement(cfg, ray_nodes(), "the connected Ray")
    elif address:
        init_ray(address, {})
        try:
            plan = plan_placement(cfg, ray_nodes(), f"the Ray cluster at {address}")
        finally:
            ray.shutdown()
    else:
        plan = plan_placement(cfg, local_nodes(), "this machine (a local Ray would start here)")
    out(f"plan for {cfg.name} (dry run: nothing is started or written)")
    for line in plan.lines():
        out(line)
    out(search_plan(cfg))
    out(f"storage: {cfg.storage.resolve()} (every node must see it; checked from each node at start)")
    if not plan.fits:
        raise UserError(plan.problem)
    return True


def connect(cfg: SweepConfig, address: str | None, env: dict[str, str], verbose: bool = False) -> float:
    """Start or join Ray, then check that the sweep fits and that every node can do its part.

    Returns the seconds Ray took to start. Runs before the run directory is written, so a refused
    sweep leaves nothing behind; a Ray started here is shut down again when a check fails.
    """
    import ray

    from ._nodes import check_nodes
    from ._placement import ray_nodes

    started_here = not ray.is_initialized()
    seconds = init_ray(address, env, verbose)
    try:
        check_fits(cfg, address)
        check_nodes(cfg, ray_nodes())
    except BaseException:
        if started_here:
            ray.shutdown()
        raise
    return seconds


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
    (``trainables._trial_worker``), so the first trial starts in about 0.1 s instead of 1.4 to
    2 s (``bench/tune_start.py``). Workers on a cluster's other machines do not inherit it: there
    the variables travel as the job's ``runtime_env``.
    """
    import ray

    t0 = time.perf_counter()
    if not ray.is_initialized():
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


PRELOAD_VAR = "RAY_preload_python_modules"
"""Ray's setting (read when a local Ray starts) naming modules its idle workers import ahead."""
TRIAL_WORKER_MODULE = "trainables._trial_worker"


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


def build_trainable(p: Prepared, services: dict[str, str], env: dict[str, str], feature_store: str | None = None):
    """The Tune trainable; ``services`` maps each generator name to its pool service's actor name,
    ``feature_store`` names the actor that owns the feature cache (None: trials open the file)."""
    from ray import tune

    from trainables.trainable import train_classifier

    trainable = tune.with_parameters(
        train_classifier, data=trial_data(p.data), settings=trial_settings(p, services, env, feature_store)
    )
    res = p.cfg.resources.trial
    return tune.with_resources(trainable, {"cpu": res.cpus, "gpu": res.gpus, **res.custom})


def start_generators(p: Prepared, env: dict[str, str]) -> tuple[dict[str, str], list[Any], float]:
    """Start each searched generator's actor pool and pool service; the caller keeps the handles alive.

    Returns the service actor name per generator, the handles and the seconds it took. The pool
    services (the synthetic cache's only writers) run on the driver's node. Workers are restarted
    by Ray when their node is lost (``GENERATOR_RESTARTS`` times), requests in flight retried.
    """
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from generators import start_pool, start_workers

    t0 = time.perf_counter()
    run = uuid.uuid4().hex[:8]
    paths = p.generator_paths or {p.cfg.searched_generators()[0]: p.generator_path}
    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    services: dict[str, str] = {}
    handles: list[Any] = []
    for gen_name, g in p.generators.items():
        name = f"synthsweep-pool-{run}-{gen_name}"
        try:
            workers, device = start_workers(
                g.backend,
                backend_kwargs(p.cfg, paths[gen_name], g),
                env,
                actors=g.actors,
                cpus=g.cpus,
                gpus=g.gpus,
                name=name,
                resources=g.resources,
                max_restarts=GENERATOR_RESTARTS,
                node_kwargs=partial(
                    node_generator_kwargs,
                    g.model,
                    f"{generator_key(p.cfg, gen_name)}.model",
                    g.backend == GeneratorBackend.TRANSFORMERS,
                    g.backend,
                ),
            )
        except ray.exceptions.RayError as e:
            raise UserError(f"{generator_key(p.cfg, gen_name)}: its actors failed to start: {_last_line(e)}") from None
        service = start_pool(
            pool_source(p.cfg, p.data, paths[gen_name], g, device=device),
            (p.cfg.cache_dir / "synthetic.sqlite").resolve(),
            workers,
            name,
            scheduling=here,
            env=env,
            label=gen_name if len(p.generators) > 1 else "",
        )
        services[gen_name] = name
        handles += [service, *workers]
    return services, handles, time.perf_counter() - t0


def start_feature_store(p: Prepared) -> tuple[str | None, Any]:
    """Head mode: the actor on the driver's node that alone writes ``features.sqlite`` (name, handle).

    Returns without waiting for it to start (``trainables.feature_store_ready`` does)."""
    if p.cfg.classifier.mode != "head":
        return None, None
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from trainables import start_feature_store as start

    name = f"synthsweep-features-{uuid.uuid4().hex[:8]}"
    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    return name, start((p.cfg.cache_dir / "features.sqlite").resolve(), name, scheduling=here, wait=False)


GENERATOR_RESTARTS = 3
"""Times Ray restarts a generator worker whose process or node died (a load error is not retried)."""


def _last_line(e: BaseException) -> str:
    """The exception line at the end of a Ray error's text (its cause, without the traceback)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


def tune_run_config(cfg: SweepConfig, run_dir: Path):
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


def build_tuner(p: Prepared, trainable):
    import optuna
    from optuna.samplers import TPESampler
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter

    from ._search import SweepSearch

    cfg = p.cfg
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Keeping one checkpoint per trial forces a state snapshot per epoch; Tune warns about it every
    # few seconds although the snapshot is milliseconds here.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    searcher = SweepSearch(
        metric=METRIC,
        mode="max",
        sampler=TPESampler(seed=cfg.seed, n_startup_trials=cfg.search.random_trials()),
        baseline=baseline_point(cfg),
    )
    return tune.Tuner(
        trainable,
        param_space=search_space(cfg),
        tune_config=tune.TuneConfig(
            search_alg=ConcurrencyLimiter(searcher, max_concurrent=cfg.search.max_concurrent),
            num_samples=cfg.search.num_samples,
            # A finished trial's worker (Python, torch, the loaded encoder) serves the next trial:
            # the per-trial process start-up was most of Tune's overhead on short head-mode trials.
            reuse_actors=True,
        ),
        run_config=tune_run_config(cfg, p.run_dir),
    )


@contextmanager
def without_tensorboard(tuner):
    """No TensorBoard event files while ``tuner`` fits, when its run config names Tune's JSON logger.

    Tune adds its TensorBoard logger to every run unless told not to, and that logger imports
    torch on the driver (1.7 s before the first trial could start) and writes an event file per
    trial to ``storage`` that nothing here reads. The documented switch also drops Tune's JSON
    logger, which synthsweep needs, so it is only thrown for a run whose config names that logger
    itself (every run since; a run resumed from an older version keeps Tune's defaults).
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
def trial_actors_on_ready_workers():
    """Tune's trial actors without a ``runtime_env`` of their own while the sweep fits.

    Tune gives every trial actor ``runtime_env={"env_vars": {"PL_DISABLE_FORK": "1"}}`` (a
    PyTorch Lightning switch synthsweep has no use for). An actor with a ``runtime_env`` of its own
    never gets one of the idle workers Ray starts ahead, so each trial actor waited for a new
    process to start and import ``ray`` and ``ray.tune``. Without it, the first trial takes an idle
    worker that has imported them already (``init_ray``). Tune reads the variables from a module
    dict each time it registers a trainable; should a later Ray move it, trials only start slower.
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


def sweep_progress(run_dir: Path, total: int) -> tuple[int, bool]:
    """(finished trials, complete?) from the trial directories and Tune's last state snapshot."""
    from ._trials import TrialStatus, read_trials

    records = read_trials(run_dir)
    done = sum(1 for r in records if r.state in TrialStatus.FINAL)
    return done, done >= total and all(r.state in TrialStatus.FINAL for r in records)


@contextmanager
def _sigterm_stops_gracefully():
    """SIGTERM (a pre-empted job, ``kill``) stops the sweep like Ctrl-C: Tune saves its state first."""
    def forward(signum, frame):
        note_signal(signum)  # the exit code says SIGTERM (143)
        os.kill(os.getpid(), signal.SIGINT)

    with on_sigterm(forward):
        yield


def execute(
    p: Prepared,
    make_tuner: Callable[[Any], Any],
    address: str | None,
    verbose: bool = False,
    ray_start_s: float = 0.0,
) -> dict[str, float]:
    """Start Ray and a fresh generator service, fit the tuner ``make_tuner(trainable)`` returns.

    Shared by ``run`` and ``resume``. Raises ``SweepInterrupted`` (after shutting Ray down, so
    the resume hint is the last line the user sees) when the sweep stopped before every trial
    finished.
    """
    env = driver_env()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    timings["ray_start_s"] = ray_start_s + init_ray(address or p.cfg.ray.address, env, verbose)
    env = {**env, **bar_owner_env()}  # progress bars drawn as the driver's, without a pid (common._bars)
    interrupted = False
    try:
        # Named actors die with their last handle: ``actors`` holds them until the sweep ends.
        store_name, store = start_feature_store(p)  # its process starts while the generators load
        services, actors, timings["generator_start_s"] = start_generators(p, env)
        if store is not None:
            from trainables import feature_store_ready

            feature_store_ready(store)
        actors.append(store)
        tuner = make_tuner(build_trainable(p, services, env, store_name))
        t1 = time.perf_counter()
        with _sigterm_stops_gracefully(), without_tensorboard(tuner), trial_actors_on_ready_workers():
            tuner.fit()  # returns normally after a first Ctrl-C, once Tune has saved its state
        timings["tune_s"] = time.perf_counter() - t1
        del actors
    except KeyboardInterrupt:  # a second Ctrl-C, or one before Tune started
        interrupted = True
    if interrupted or not sweep_progress(p.run_dir, p.cfg.search.num_samples)[1]:
        raise sweep_interrupted(p)
    outcome = sweep_outcome(p.run_dir, p.cfg.search.num_samples)
    if not outcome.finished:  # nothing to compare: stop before the verdict, with the first error
        import ray

        ray.shutdown()
        state = read_state(p.run_dir) or RunState(status="running", started=time.time())
        state.status = "failed"
        write_state(p.run_dir, state)
        check_outcome(outcome, p.run_dir)
    timings["wall_s"] = time.perf_counter() - t0
    return timings


def sweep_interrupted(p: Prepared) -> SweepInterrupted:
    """Shut Ray down, mark the run interrupted; the exception tells the user how to continue."""
    import ray

    ray.shutdown()
    done, _ = sweep_progress(p.run_dir, p.cfg.search.num_samples)
    state = read_state(p.run_dir) or RunState(status="running", started=time.time())
    state.status = "interrupted"
    write_state(p.run_dir, state)
    return SweepInterrupted(p.run_dir, done, p.cfg.search.num_samples, signum=received_signal())
def report_errors(run_dir: Path, total: int) -> None:
    """After the summary: one line on stderr when some trials errored (how many, and the first error)."""
    line = sweep_outcome(run_dir, total).errors_line()
    if line:
        print(f"warning: {line}", file=sys.stderr)


def start_run_dir(p: Prepared) -> None:
    """Write the resolved config and the run marker before anything runs."""
    p.run_dir.mkdir(parents=True, exist_ok=True)
    (p.run_dir / "config.yaml").write_text(yaml.safe_dump(resolved_config(p.cfg, p.run_dir), sort_keys=False))
    claim(p.run_dir, RunState(status="running", started=time.time(), inputs=run_inputs(p)))


def finish_run(p, timings: dict[str, float]) -> Path:
    """Run the verdict, write trials.csv and summary.json, mark the run finished, print the tables."""
    from rich.console import Console

    from ._summary import print_summary, summarise
    from ._trials import read_trials

    paths = p.generator_paths or {p.cfg.searched_generators()[0]: p.generator_path}
    generators = {
        name: {
            "name": g.model,
            "backend": g.backend,
            "path": str(paths[name]),
            "sha256": sha256_path(paths[name]),
            "cache_key": generator_cache_key(g, paths[name]),
        }
        for name, g in p.generators.items()
    }
    random_trials = p.cfg.search.random_trials()
    extra = {
        "search": {
            "baseline": 1,
            "random": random_trials,
            "guided": p.cfg.search.num_samples - 1 - random_trials,
            "repeats": p.cfg.eval.repeats_for(p.cfg.classifier.mode),
        },
        "models": {
            # The first searched generator (it serves the baseline); every one is under "generators".
            "generator": next(iter(generators.values())),
            "generators": generators,
            "classifier": {
                "name": p.cfg.classifier.model,
                "path": str(p.classifier_path),
                "sha256": sha256_path(p.classifier_path),
            },
        },
    }
    from ._filters import privacy_limits
    from ._verdict import run_verdict

    records = read_trials(p.run_dir)
    console = Console(stderr=True)
    with console.status("verdict: retraining the arms on fresh seeds") as status:
        verdict = run_verdict(p.cfg, p.data, classifier_settings(p), records, progress=status.update)
    timings = {**timings, "verdict_s": verdict["verdict_s"]}
    summary = summarise(p.run_dir, p.data, timings, extra, privacy=privacy_limits(p.cfg), verdict=verdict)
    state = read_state(p.run_dir) or RunState(status="running", started=time.time())
    state.status, state.finished = "finished", time.time()
    write_state(p.run_dir, state)
    print_summary(summary, read_trials(p.run_dir))
    return p.run_dir


def run_sweep(cfg: SweepConfig, address: str | None = None, verbose: bool = False) -> Path:
    """Run the sweep described by ``cfg``; return the run directory (holding summary.json).

    ``verbose`` shows Ray's and Tune's own start-up and progress messages.
    """
    quiet_ray(address or cfg.ray.address, verbose)
    p = prepare(cfg)
    address = address or cfg.ray.address
    check_fits(cfg, address)  # before a local Ray starts: refused in a fraction of a second
    if p.run_dir != cfg.run_dir:
        logging.getLogger("synthsweep").warning(
            "%s holds a finished sweep; this run writes to %s", cfg.run_dir, p.run_dir
        )
    ray_start_s = connect(cfg, address, driver_env(), verbose)
    start_run_dir(p)
    print(search_plan(cfg), file=sys.stderr, flush=True)
    try:
        timings = execute(p, lambda trainable: build_tuner(p, trainable), address, verbose, ray_start_s)
        finish_run(p, timings)
    except KeyboardInterrupt:  # while Ray started or the summary was written: resumable all the same
        raise sweep_interrupted(p) from None
    report_errors(p.run_dir, cfg.search.num_samples)
    return p.run_dir
