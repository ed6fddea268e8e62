"""The head-mode feature cache with one writer: an actor on the driver's node that trials call.

SQLite's WAL needs every writer on one host, and ``storage`` is often a network filesystem that
many nodes mount. So in a sweep no trial opens ``features.sqlite`` itself: ``FeatureStore`` (a
Ray actor pinned to the driver's node) owns it, and each trial's ``RemoteFeatureCache`` asks it
for the vectors it has and hands it the ones the trial computed. Re-runs and resumes read the
same file, so they embed nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._features import FeatureCache

__all__ = ["FeatureStore", "RemoteFeatureCache", "feature_store_ready", "start_feature_store"]


class FeatureStore:
    """Owns ``features.sqlite``; one ``FeatureCache`` connection per model key."""

    def __init__(self, path: str):
        self.path = path
        self._caches: dict[str, FeatureCache] = {}

    def _cache(self, model_key: str) -> FeatureCache:
        if model_key not in self._caches:
            self._caches[model_key] = FeatureCache(self.path, model_key)
        return self._caches[model_key]

    def get_many(self, model_key: str, shas: Sequence[str]) -> dict[str, bytes]:
        return {sha: vec.astype(np.float32).tobytes() for sha, vec in self._cache(model_key).get_many(shas).items()}

    def put_many(self, model_key: str, items: dict[str, bytes]) -> None:
        self._cache(model_key).put_many({sha: np.frombuffer(v, dtype=np.float32) for sha, v in items.items()})

    def ping(self) -> bool:
        return True


class RemoteFeatureCache:
    """``FeatureCache``'s interface in a trial, served by the named ``FeatureStore`` actor."""

    def __init__(self, actor_name: str, model_key: str):
        import ray

        self._store = ray.get_actor(actor_name)
        self.model_key = model_key

    def get_many(self, shas: Sequence[str]) -> dict[str, np.ndarray]:
        import ray

        found = ray.get(self._store.get_many.remote(self.model_key, list(shas)))
        return {sha: np.frombuffer(v, dtype=np.float32) for sha, v in found.items()}

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        import ray

        blobs = {sha: np.asarray(v, dtype=np.float32).tobytes() for sha, v in items.items()}
        ray.get(self._store.put_many.remote(self.model_key, blobs))

    def close(self) -> None:
        pass


def start_feature_store(path: Path, name: str, scheduling: Any = None, wait: bool = True) -> Any:
    """Start the store actor (no CPU of its own; ``scheduling`` pins it to the driver's node).

    ``wait=False`` returns at once, so its process starts while the caller does other work; the
    caller waits with ``feature_store_ready`` (a trial's first call would wait anyway).
    """
    import ray

    from common import service_runtime_env

    options: dict[str, Any] = {
        "name": name,
        "num_cpus": 0,
        "max_restarts": -1,
        "runtime_env": service_runtime_env(),  # a process of its own: Ray's idle workers are for trials
    }
    if scheduling is not None:
        options["scheduling_strategy"] = scheduling
    store = ray.remote(FeatureStore).options(**options).remote(str(path))
    if wait:
        feature_store_ready(store)
    return store


def feature_store_ready(store: Any) -> None:
    """Block until the store actor is up; raises Ray's error if it could not start."""
    import ray

    ray.get(store.ping.remote())  # a Ray actor method
