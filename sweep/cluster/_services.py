"""The sweep's long-lived actors: generator workers, their pool services and the feature store.

They live exactly as long as ``running_services``: its exit kills each one and waits until its
process on this node has exited. Left to ``ray.shutdown``, they end only when the raylet kills
them (Ray gives it one second); a worker left after that exits only once ``kill(raylet_pid, 0)``
fails, which it never does for a raylet nobody reaped (a zombie, where the machine's first
process reaps no orphans): such a worker lived on with parent 1 after a test run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from common import UserError, node_generator_kwargs
from generators import GeneratorBackend

from ..inputs import Prepared, backend_kwargs, generator_key, pool_source, sweep_data

GENERATOR_RESTARTS = 3
"""Times Ray restarts a generator worker whose process or node died (a load error is not retried)."""


@dataclass
class Services:
    pools: dict[str, str] = field(default_factory=dict)
    """The pool service's actor name per generator name (trials look them up by name)."""
    feature_store: str | None = None
    """The actor that alone writes ``features.sqlite`` (head mode), else None."""
    start_s: float = 0.0
    """Seconds the generators took to load."""
    actors: list[Any] = field(default_factory=list)
    """Every handle started, in start order."""


def _here() -> Any:
    """A scheduling strategy that pins an actor to the driver's node (the caches' single writers)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)


def _last_line(e: BaseException) -> str:
    """The exception line at the end of a Ray error's text (its cause, without the traceback)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


def start_feature_store(p: Prepared, services: Services) -> Any:
    """Head mode: start the feature store on the driver's node without waiting for it (its process
    starts while the generators load); returns its handle, or None in lora and full mode."""
    if p.cfg.classifier.mode != "head":
        return None
    from trainables import start_feature_store as start

    name = f"synthsweep-features-{uuid.uuid4().hex[:8]}"
    store = start(p.cfg.feature_cache.resolve(), name, scheduling=_here(), wait=False)
    services.feature_store = name
    services.actors.append(store)
    return store


def start_generator(p: Prepared, gen_name: str, env: dict[str, str], run: str, services: Services) -> None:
    """One searched generator's worker actors and its pool service (on the driver's node)."""
    import ray

    from generators import start_pool, start_workers

    g, path = p.generators[gen_name], p.generator_paths[gen_name]
    name = f"synthsweep-pool-{run}-{gen_name}"
    key = generator_key(p.cfg, gen_name)
    node_kwargs = partial(
        node_generator_kwargs, g.model, f"{key}.model", g.backend == GeneratorBackend.TRANSFORMERS, g.backend
    )
    try:
        workers, device = start_workers(
            g.backend,
            backend_kwargs(path, g, sweep_data(p.cfg, p.data)),
            env,
            actors=g.actors,
            cpus=g.cpus,
            gpus=g.actor_gpus,
            name=name,
            resources=g.resources,
            max_restarts=GENERATOR_RESTARTS,
            node_kwargs=node_kwargs,
        )
    except ray.exceptions.RayError as e:
        raise UserError(f"{key}: its actors failed to start: {_last_line(e)}") from None
    services.actors.extend(workers)
    source = pool_source(p.cfg, p.data, path, g, device=device, augments=p.cfg.augments(gen_name))
    label = gen_name if len(p.generators) > 1 else ""
    cache = p.cfg.synthetic_cache.resolve()
    service = start_pool(source, cache, workers, name, scheduling=_here(), env=env, label=label)
    services.actors.append(service)
    services.pools[gen_name] = name


def _process_here() -> tuple[str, int]:
    """Runs inside a service actor: its node and process."""
    import os

    import ray

    return ray.get_runtime_context().get_node_id(), os.getpid()


def service_processes(handles: list[Any]) -> list[tuple[int, float]]:
    """(pid, start time) of each service actor's process on this node, taken once they are up, so
    ``stop_services`` can tell that a pid is still theirs. An actor on another node is left to that
    node's Ray."""
    import psutil
    import ray

    here = ray.get_runtime_context().get_node_id()
    found = []
    for ref in [h.__ray_call__.remote(lambda self: _process_here()) for h in handles]:
        try:
            node, pid = ray.get(ref, timeout=60)
        except Exception:  # an actor lost meanwhile: Ray restarts it or the sweep fails on it, not here
            continue
        if node == here:
            try:
                found.append((pid, psutil.Process(pid).create_time()))
            except psutil.NoSuchProcess:
                pass
    return found


def stop_services(handles: list[Any], processes: list[tuple[int, float]], timeout: float = 10.0) -> None:
    """Kill the service actors and wait until their processes here (``service_processes``) are gone;
    one still there after ``timeout`` s is killed by pid, when its start time shows it is still the actor's."""
    import psutil
    import ray

    if ray.is_initialized():
        for handle in reversed(handles):
            try:
                ray.kill(handle, no_restart=True)
            except Exception:  # already dead, or its Ray going away: the wait below decides
                pass
    procs = []
    for pid, started in processes:
        try:
            proc = psutil.Process(pid)
            if proc.create_time() == started:
                procs.append(proc)
        except psutil.NoSuchProcess:
            pass
    deadline = time.monotonic() + timeout
    while procs and time.monotonic() < deadline:
        procs = [p for p in procs if _alive(p)]
        time.sleep(0.05)
    for proc in procs:
        try:
            proc.kill()  # psutil refuses a pid another process has taken since
        except psutil.NoSuchProcess:
            pass


def _alive(proc: Any) -> bool:
    """Running and not a zombie; a process that exits between the two checks is gone, not an error."""
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@contextmanager
def running_services(p: Prepared, env: dict[str, str]) -> Iterator[Services]:
    """Start the feature store and every searched generator; stop them all on the way out."""
    services = Services()
    processes: list[tuple[int, float]] = []
    try:
        store = start_feature_store(p, services)
        t0 = time.perf_counter()
        run = uuid.uuid4().hex[:8]
        for gen_name in p.generators:
            start_generator(p, gen_name, env, run, services)
        services.start_s = time.perf_counter() - t0
        if store is not None:
            from trainables import feature_store_ready

            feature_store_ready(store)
        processes = service_processes(services.actors)
        yield services
    finally:
        stop_services(services.actors, processes)
