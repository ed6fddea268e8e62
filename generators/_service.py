"""The generator service: Ray actors that load a local model once and serve every trial.

* ``GeneratorWorker``: hosts one loaded backend; a plain (synchronous) actor, so Ray runs one
  request at a time, which is what a llama.cpp context needs.
* ``PoolService``: one async actor that owns the synthetic cache, hands attempt groups to the
  workers and holds one lock per (label, temperature, augment) pool, so two trials needing the same pool
  at once generate it once: the second waits, then reads it from the cache.

The classes are plain Python; ``start_service`` wraps them with ``ray.remote`` so importing this
module does not import Ray.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ._cache import SyntheticCache
from ._pool import PoolBuilder, PoolResult, PoolSource
from ._prompts import Augment
from ._registry import create_backend
from ._types import Completion, GenerationRequest


class GeneratorWorker:
    def __init__(
        self,
        backend: str,
        backend_kwargs: dict[str, Any],
        offline_env: dict[str, str],
        node_kwargs: Callable[[], dict[str, Any]] | None = None,
    ):
        """``node_kwargs`` runs on the worker's node and overrides ``backend_kwargs`` with what only that
        node knows (its own path to a bundled model, its cache directory)."""
        os.environ.update(offline_env)
        if node_kwargs is not None:
            backend_kwargs = {**backend_kwargs, **node_kwargs()}
        self.model = create_backend(backend, **backend_kwargs)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        return self.model.generate(requests)

    def ready(self) -> bool:
        return True

    def device(self) -> str:
        """``gpu`` or ``cpu``: where the loaded model actually runs (the cache key records it)."""
        return device_kind(self.model)


def device_kind(model: Any) -> str:
    """``gpu`` or ``cpu`` from a backend's ``device`` (a string or a torch device)."""
    dev = str(getattr(model, "device", "cpu"))
    return "cpu" if dev == "cpu" else "gpu"


def attempt_budget(n: int) -> int:
    """Most raw attempts one pool request may spend before it settles for fewer examples."""
    return 4 * n + 24


BAR_LINGER_S = 0.5
"""A pool progress line stays open this long after its last pool, for the next label's pool to join."""


class PoolBar:
    """One progress line for consecutive pools at one temperature: its total grows with each pool
    that joins, its description names the label being generated, and it closes ``BAR_LINGER_S``
    after the last pool left (one finished line per run of pools, not one per label)."""

    def __init__(self, verb: str, temperature: float, position: int):
        from common import progress_bar

        self.verb, self.temperature = verb, temperature
        self.bar = progress_bar(f"{verb} @ T={temperature}", total=0, position=position)
        self.labels: list[str] = []
        self.active = 0
        self.closed = False
        self._closing: asyncio.TimerHandle | None = None

    def enter(self, label: str, missing: int) -> None:
        """A pool joins the line, ``missing`` examples short."""
        if self._closing is not None:
            self._closing.cancel()
            self._closing = None
        self.active += 1
        if label not in self.labels:
            self.labels.append(label)
        self.bar.total = (self.bar.total or 0) + missing
        self.bar.set_description(f"{self._what()}: {label}")

    def advance(self, k: int) -> None:
        if k:
            self.bar.update(k)

    def leave(self, short: int) -> None:
        """A pool is done; ``short``: examples it could not get (its budget spent), dropped from the total."""
        if short:
            self.bar.total -= short
        self.active -= 1
        if self.active == 0:
            self._closing = asyncio.get_running_loop().call_later(BAR_LINGER_S, self.close)

    def close(self) -> None:
        if self.closed or self.active:
            return
        self.closed = True
        self.bar.set_description(self._what())
        self.bar.close()

    def _what(self) -> str:
        n = len(self.labels)
        return f"{self.verb} @ T={self.temperature}, {n} label{'' if n == 1 else 's'}"


class PoolService:
    def __init__(
        self,
        source: PoolSource,
        cache_path: str,
        workers: list[Any],
        env: dict[str, str] | None = None,
        label: str = "",
    ):
        os.environ.update(env or {})  # the driver's progress-bar owner (common._bars)
        self.label = label
        """Names the generator on progress bars when a sweep has several."""
        self._bars: dict[tuple[float, str], PoolBar] = {}
        self.source = source
        self.cache = SyntheticCache(cache_path)
        self._locks: defaultdict[tuple[str, int, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._builders: dict[tuple[str, int, str], PoolBuilder] = {}
        """Each pool's builder, kept: a later request (another trial) offers only the attempts cached
        since, instead of replaying the pool's whole cache through the filter."""
        self._idle: asyncio.Queue | None = None
        self._workers = workers

    async def _run_call(self, requests: list[GenerationRequest]) -> list[Completion]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for w in self._workers:
                self._idle.put_nowait(w)
        worker = await self._idle.get()
        try:
            return await worker.generate.remote(requests)
        finally:
            self._idle.put_nowait(worker)

    async def get_pool(self, label: str, temperature: float, n: int, augment: str | None = None) -> dict[str, Any]:
        t = round(float(temperature), 1)
        key = (label, int(round(t * 10)), augment or self.source.augment)
        async with self._locks[key]:
            builder = self._builders.get(key)
            if builder is None:
                builder = self._builders[key] = PoolBuilder(self.source, self.cache, label, t, augment)
            else:
                builder.reopen()
            if builder.missing(n):
                await self._generate(builder, n)
            return asdict(builder.result(n))

    async def _generate(self, builder: PoolBuilder, n: int) -> None:
        """Generate until the pool holds ``n`` accepted examples or its attempt budget is spent."""
        budget = builder.next_index + attempt_budget(builder.missing(n))
        bar = self._bar(builder, n)
        try:
            while builder.missing(n) and builder.next_index < budget:
                per_call = builder.spec.decode_groups
                calls = builder.calls(builder.plan(n, max_groups=len(self._workers) * per_call))
                done = await asyncio.gather(*(self._run_call(c) for c in calls))
                before = len(builder.accepted)
                builder.add(calls, done)
                bar.advance(min(n, len(builder.accepted)) - min(n, before))
        finally:
            bar.leave(max(0, n - len(builder.accepted)))  # a file's rows may run out: missing() is 0 then

    def _bar(self, builder: PoolBuilder, n: int) -> PoolBar:
        """The progress line of pools at this temperature and method: one line for the pools
        generated back to back (a trial asks for its labels one after another; a line per label
        would flood the terminal with 20 labels)."""
        verb = "paraphrasing" if builder.spec.augment == Augment.PARAPHRASE else "generating"
        key = (builder.temperature, verb)
        self._bars = {k: b for k, b in self._bars.items() if not b.closed}
        bar = self._bars.get(key)
        if bar is None:
            prefix = f"{self.label}: " if self.label else ""
            # Lines open at once (other temperatures, methods) each get their own position.
            bar = self._bars[key] = PoolBar(f"{prefix}{verb}", builder.temperature, position=len(self._bars))
        bar.enter(builder.label, builder.missing(n))
        return bar

    def ping(self) -> bool:
        return True


def start_workers(
    backend: str,
    backend_kwargs: dict[str, Any],
    offline_env: dict[str, str],
    actors: int,
    cpus: float,
    gpus: float,
    name: str,
    resources: dict[str, float] | None = None,
    max_restarts: int = 0,
    node_kwargs: Callable[[], dict[str, Any]] | None = None,
) -> tuple[list[Any], str]:
    """Start ``actors`` generator workers; block until their models are loaded.

    Returns the handles and the device they run on (``gpu`` or ``cpu``, the same for all). A
    worker that cannot load (a GPU asked for on a node whose build has none) raises here.
    ``max_restarts``: Ray restarts a worker lost with its node, on another node, this many times.
    """
    import ray

    from common import service_runtime_env

    worker_cls = ray.remote(GeneratorWorker)
    workers = [
        worker_cls.options(
            num_cpus=cpus,
            num_gpus=gpus,
            resources=resources or {},
            name=f"{name}-worker-{i}",
            max_restarts=max_restarts,
            max_task_retries=-1 if max_restarts else 0,
            runtime_env=service_runtime_env(),  # a process of its own: Ray's idle workers are for trials
        ).remote(backend, backend_kwargs, offline_env, node_kwargs)
        for i in range(actors)
    ]
    devices = set(ray.get([w.device.remote() for w in workers]))  # type: ignore[union-attr]  # a Ray actor method
    if len(devices) != 1:
        raise RuntimeError(f"generator workers of {name} run on different devices: {sorted(devices)}")
    return workers, devices.pop()


def start_pool(
    source: PoolSource,
    cache_path: Path,
    workers: list[Any],
    name: str,
    scheduling: Any = None,
    env: dict[str, str] | None = None,
    label: str = "",
) -> Any:
    """Start the pool service over ``workers``; ``scheduling`` pins it to a node (the cache's one writer).

    ``env`` reaches the service's process (the progress-bar owner); ``label`` names the generator on
    its progress bars (a sweep with several generators).
    """
    import ray

    from common import service_runtime_env

    options: dict[str, Any] = {
        "name": name,
        "num_cpus": 0,
        "max_concurrency": 64,
        "runtime_env": service_runtime_env(),  # a process of its own: Ray's idle workers are for trials
    }
    if scheduling is not None:
        options["scheduling_strategy"] = scheduling
    service = ray.remote(PoolService).options(**options).remote(source, str(cache_path), workers, env, label)
    ray.get(service.ping.remote())  # type: ignore[union-attr]  # a Ray actor method
    return service


def start_service(
    source: PoolSource,
    cache_path: Path,
    backend: str,
    backend_kwargs: dict[str, Any],
    offline_env: dict[str, str],
    actors: int,
    cpus: float,
    gpus: float,
    name: str,
    label: str = "",
) -> Any:
    """Start ``actors`` workers and the pool service; block until the models are loaded.

    ``label`` names the generator on its progress bars (a sweep with several generators).
    """
    workers, _ = start_workers(backend, backend_kwargs, offline_env, actors, cpus, gpus, name)
    return start_pool(source, cache_path, workers, name, env=offline_env, label=label), workers


def pool_from_service(
    service_name: str, label: str, temperature: float, n: int, augment: str | None = None
) -> PoolResult:
    """Called inside a trial: fetch one label's pool, written by ``augment`` (None: the generator's
    own ``augment``), from the named service."""
    import ray

    service = ray.get_actor(service_name)
    return PoolResult(**ray.get(service.get_pool.remote(label, temperature, n, augment)))
