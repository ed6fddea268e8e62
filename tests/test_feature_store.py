"""The feature cache has one writer in a sweep: an actor on the driver's node that trials call."""

from __future__ import annotations

import numpy as np
import pytest

from trainables._feature_store import FeatureStore


def test_store_round_trip_without_ray(tmp_path):
    store = FeatureStore(str(tmp_path / "features.sqlite"))
    vec = np.arange(4, dtype=np.float32)
    store.put_many("k", {"a": vec.tobytes()})
    got = store.get_many("k", ["a", "b"])
    assert set(got) == {"a"} and np.array_equal(np.frombuffer(got["a"], dtype=np.float32), vec)
    assert store.get_many("other-model", ["a"]) == {}


@pytest.mark.integration
def test_trials_embed_through_the_store_actor(tmp_path, ray_start_2_cpus, tiny_bert):
    """A trial's encoder reads and writes only through the actor; a second pass embeds nothing."""
    import ray

    from common import sha256_path
    from trainables import ClassifierSettings, TrialSettings
    from trainables._feature_store import start_feature_store
    from trainables.trainable import model_inputs

    path = tmp_path / "cache" / "features.sqlite"
    store = start_feature_store(path, "test-features")
    c = ClassifierSettings(
        path=str(tiny_bert),
        hash=sha256_path(tiny_bert),
        mode="head",
        epochs=1,
        learning_rate=0.1,
        batch_size=4,
        max_length=16,
    )
    settings = TrialSettings(classifier=c, seed=0, feature_cache=None, feature_store="test-features")

    @ray.remote(num_cpus=1)
    def trial(texts):
        import trainables._features as f

        calls = []
        embed = f.FrozenEncoder.embed
        f.FrozenEncoder.embed = lambda self, t, *a, **k: calls.append(len(t)) or embed(self, t, *a, **k)
        train, val, dim = model_inputs(settings, texts, "cpu", texts[:1])
        return train.shape, dim, sum(calls)

    texts = ["the drug helped a lot", "awful side effects", "no change at all"]
    assert ray.get(trial.remote(texts)) == ((3, 16), 16, 3)
    assert ray.get(trial.remote(texts)) == ((3, 16), 16, 0), "the second trial finds every vector in the store"
    assert path.is_file()
    del store


@pytest.mark.integration
def test_stopped_service_actors_leave_no_process(tmp_path, ray_start_2_cpus):
    """``stop_services`` returns once the actor's process has exited, not when Ray says it is dead."""
    import psutil

    from sweep.cluster import service_processes, stop_services
    from trainables import start_feature_store

    store = start_feature_store(tmp_path / "features.sqlite", "test-stopped-store")
    processes = service_processes([store])
    assert len(processes) == 1
    proc = psutil.Process(processes[0][0])
    assert proc.create_time() == processes[0][1]
    stop_services([store], processes)
    assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE


def test_a_service_process_that_exits_while_it_is_checked_is_stopped_not_an_error(monkeypatch):
    """The process exits between ``is_running`` and ``status`` (seen on CI): psutil raises, and the
    sweep that was ending must not fail for it."""
    import subprocess

    import psutil

    from sweep.cluster import stop_services

    def gone(self):
        raise psutil.NoSuchProcess(self.pid)

    child = subprocess.Popen(["sleep", "60"])
    try:
        started = psutil.Process(child.pid).create_time()
        monkeypatch.setattr(psutil.Process, "status", gone)  # a fake exit, at the moment of the check
        stop_services([], [(child.pid, started)], timeout=5.0)
    finally:
        child.kill()
        child.wait()
