"""A sweep's first trial takes one of the idle workers a local Ray starts ahead; service actors do not.

Tune gives trial actors a ``runtime_env`` of their own (``PL_DISABLE_FORK``), which kept every
trial off Ray's idle workers: the first trial waited 1.4 to 2 s for a new process to import
``ray.tune`` (``bench/tune_start.py``). ``trial_actors_on_ready_workers`` drops that variable while
a sweep fits, the idle workers import ``ray.tune`` and the trainable ahead
(``trainables._trial_worker``), and the service actors, which start first, are marked so that Ray
gives them processes of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from .conftest import REPO


def test_tune_trial_env_is_dropped_while_fitting_and_restored():
    from ray.tune.execution import class_cache

    from sweep.search import trial_actors_on_ready_workers

    assert class_cache.DEFAULT_ENV_VARS == {"PL_DISABLE_FORK": "1"}, "Ray changed what Tune gives its trial actors"
    with pytest.raises(RuntimeError), trial_actors_on_ready_workers():
        assert class_cache.DEFAULT_ENV_VARS == {}
        raise RuntimeError("a failed fit")
    assert class_cache.DEFAULT_ENV_VARS == {"PL_DISABLE_FORK": "1"}


@pytest.mark.parametrize("service", [False, True])
def test_preload_imports_ray_tune_for_trials_only(service):
    from common import SERVICE_ACTOR_VAR

    env = {k: v for k, v in os.environ.items() if k != SERVICE_ACTOR_VAR}
    if service:
        env[SERVICE_ACTOR_VAR] = "1"
    code = (
        "import sys, trainables._trial_worker; print('ray.tune' in sys.modules, 'trainables.trainable' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == (["False", "False"] if service else ["True", "True"])


def _idle_workers(raylet_pid: int) -> set[int]:
    import psutil

    return {c.pid for c in psutil.Process(raylet_pid).children() if " ".join(c.cmdline()).startswith("ray::IDLE")}


def _first_trial(config: dict) -> None:
    import psutil
    from ray import tune

    tune.report({"worker_pid": os.getpid(), "worker_created": psutil.Process().create_time()})


@pytest.mark.integration
def test_first_trial_takes_an_idle_worker_and_the_feature_store_does_not(tmp_path, monkeypatch):
    import psutil
    import ray
    from ray import tune
    from ray.tune.logger import JsonLoggerCallback

    from common import OFFLINE_ENV, SERVICE_ACTOR_VAR
    from sweep.cluster import PRELOAD_VAR, init_ray
    from sweep.search import trial_actors_on_ready_workers
    from trainables import feature_store_ready
    from trainables._feature_store import start_feature_store

    monkeypatch.delenv(PRELOAD_VAR, raising=False)
    monkeypatch.setenv("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    assert not ray.is_initialized()
    init_ray(None, dict(OFFLINE_ENV))
    try:
        assert os.environ[PRELOAD_VAR] == "trainables._trial_worker"
        raylet = ray._private.worker._global_node.all_processes["raylet"][0].process.pid
        deadline = time.time() + 60
        while not _idle_workers(raylet) and time.time() < deadline:
            time.sleep(0.2)
        idle = _idle_workers(raylet)
        assert idle, "the local Ray started no idle worker"

        name = "test-trial-workers-store"
        store = start_feature_store(tmp_path / "features.sqlite", name, wait=False)
        feature_store_ready(store)
        store_pid = next(a["Pid"] for a in ray._private.state.actors().values() if a["Name"] == name)
        assert store_pid not in idle, "the feature store took a worker Ray started for trials"
        assert psutil.Process(store_pid).environ().get(SERVICE_ACTOR_VAR) == "1"

        t0 = time.time()
        tuner = tune.Tuner(
            _first_trial,
            param_space={"x": 1},
            run_config=tune.RunConfig(storage_path=str(tmp_path / "tune"), verbose=0, callbacks=[JsonLoggerCallback()]),
        )
        with trial_actors_on_ready_workers():
            result = tuner.fit()[0]
        assert result.error is None
        assert result.metrics["worker_pid"] in idle, "the trial did not get an idle worker started ahead"
        assert result.metrics["worker_created"] < t0
        del store
    finally:
        ray.shutdown()
