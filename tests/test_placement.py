"""The start-up resource check and placement plan: CPUs, GPUs and custom resources, per node."""

from __future__ import annotations

import time

import pytest

from common import UserError
from sweep import load_config
from sweep.cluster import Node, plan_placement

from .conftest import REPO

DEMO = REPO / "conf" / "demo.yaml"
CLUSTER = REPO / "conf" / "cluster.yaml"


def _cfg(path=DEMO, *overrides):
    return load_config(path, list(overrides))


def _node(name, cpus, gpus=0.0, **custom):
    return Node(name, {"CPU": float(cpus), "GPU": float(gpus), **custom}, node_id=name)


def test_demo_fits_on_two_cpus():
    plan = plan_placement(_cfg(), [_node("a", 2)], "test")
    assert plan.fits and plan.trial_slots == {"a": 1} and plan.concurrent == 1
    assert plan.actors[0][1] == "a"


def test_generator_gpu_without_a_gpu_is_refused_in_one_line():
    plan = plan_placement(_cfg(DEMO, "generator.gpus=1"), [_node("a", 2)], "test")
    assert not plan.fits
    assert len(plan.problem.splitlines()) == 1
    assert "need CPU 1, GPU 1" in plan.problem and "has CPU 2, GPU 0" in plan.problem
    assert "fits on no node" in plan.problem


def test_actor_gpu_and_trial_gpu_on_one_gpu_waits_forever_so_refused():
    cfg = _cfg(DEMO, "generator.gpus=1", "resources.trial.gpus=1")
    plan = plan_placement(cfg, [_node("a", 8, gpus=1)], "test")
    assert not plan.fits and "no trial could ever start" in plan.problem
    assert "resources.trial.gpus" in plan.problem and "GPU 2 in all" in plan.problem


def test_fractional_gpus_share_one_device():
    cfg = _cfg(DEMO, "generator.gpus=0.5", "resources.trial.gpus=0.25", "search.max_concurrent=4")
    plan = plan_placement(cfg, [_node("a", 8, gpus=1)], "test")
    assert plan.fits and plan.trial_slots == {"a": 2} and plan.concurrent == 2


def test_too_many_cpus_refused():
    plan = plan_placement(_cfg(DEMO, "resources.trial.cpus=3"), [_node("a", 2)], "test")
    assert not plan.fits and "lower resources.trial.cpus" in plan.problem


def test_custom_resources_counted():
    cfg = _cfg(DEMO, "resources.trial.custom={a100: 1}")
    assert not plan_placement(cfg, [_node("a", 4)], "test").fits
    assert plan_placement(cfg, [_node("a", 4), _node("b", 4, a100=1.0)], "test").trial_slots == {"a": 0, "b": 1}


def test_custom_resource_names_checked():
    with pytest.raises(UserError, match="resources.trial.custom"):
        _cfg(DEMO, "resources.trial.custom={GPU: 1}")


def test_per_node_not_just_totals():
    """Two nodes of 1 GPU each: a trial wanting 2 GPUs fits the total but no node."""
    cfg = _cfg(DEMO, "resources.trial.gpus=2")
    plan = plan_placement(cfg, [_node("a", 4, gpus=1), _node("b", 4, gpus=1)], "test")
    assert not plan.fits and "2 nodes, the largest CPU 4, GPU 1" in plan.problem


def test_cpu_actors_stay_off_gpu_nodes():
    cfg = _cfg(DEMO, "resources.trial.gpus=1", "resources.trial.cpus=4")
    plan = plan_placement(cfg, [_node("gpu", 4, gpus=1), _node("cpu", 2)], "test")
    assert plan.fits and plan.actors[0][1] == "cpu" and plan.trial_slots["gpu"] == 1


def test_cluster_yaml_loads_and_plans():
    """conf/cluster.yaml: four GPU actors and GPU trials on a head without CPUs and two 4-GPU nodes."""
    cfg = _cfg(CLUSTER)
    nodes = [_node("head", 0), _node("w1", 16, gpus=4), _node("w2", 16, gpus=4)]
    plan = plan_placement(cfg, nodes, "test")
    assert plan.fits, plan.problem
    assert sorted(node for _, node in plan.actors) == ["w1", "w1", "w1", "w1"]
    assert plan.trial_slots == {"head": 0, "w1": 0, "w2": 4} and plan.concurrent == 4
    text = "\n".join(plan.lines())
    assert "fits: yes" in text and "generator actor default 4/4: CPU 4, GPU 1, on w1" in text
    # One GPU node alone cannot hold four GPU actors and a GPU trial.
    assert not plan_placement(cfg, [_node("head", 0), _node("w1", 16, gpus=4)], "test").fits


def test_cli_refuses_gpu_without_gpu_within_seconds(tmp_path, capsys):
    from sweep.cli import main

    t0 = time.perf_counter()
    code = main(["run", str(DEMO), "--set", "generator.gpus=1", "--set", f"storage={tmp_path / 'runs'}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and time.perf_counter() - t0 < 10
    assert err.startswith("error: the sweep cannot be placed") and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.integration
def test_running_ray_without_gpu_refuses_within_seconds(tmp_path, capsys, ray_start_2_cpus):
    from sweep.cli import main

    t0 = time.perf_counter()
    code = main(["run", str(DEMO), "--set", "generator.gpus=1", "--set", f"storage={tmp_path / 'runs'}"])
    err = capsys.readouterr().err.strip().splitlines()[-1]  # Ray logs its own start-up lines before it
    assert code == 2 and time.perf_counter() - t0 < 15, err
    assert err.startswith("error: ") and "the cluster has CPU 2, GPU 0" in err


@pytest.mark.integration
def test_node_offering_a_gpu_without_a_usable_one_is_refused(tmp_path, capsys):
    """Ray told there is a GPU (``num_gpus=1``) on a node whose llama.cpp and torch are CPU builds."""
    import ray

    from sweep.cli import main

    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False)
    try:
        base = ["run", str(DEMO), "--set", f"storage={tmp_path / 'runs'}"]
        code = main([*base, "--set", "generator.gpus=1"])
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert code == 2 and "built without GPU offload" in err and "generator.gpus=0" in err, err
        code = main([*base, "--set", "resources.trial.gpus=0.25"])
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert code == 2 and "has no usable CUDA device" in err and err.startswith("error: node "), err
    finally:
        ray.shutdown()
    assert not (tmp_path / "runs" / "demo").exists()


def test_join_failure_without_a_token_says_what_to_set(tmp_path, monkeypatch):
    from sweep.cluster import join_failure

    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("RAY_AUTH_TOKEN_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    line = join_failure("10.0.0.1:6379", ConnectionError("Failed to connect"))
    assert line.startswith("cannot join the Ray cluster at 10.0.0.1:6379 (Failed to connect): this driver has no")
    assert "RAY_AUTH_MODE=token" in line and "RAY_AUTH_TOKEN" in line and len(line.splitlines()) == 1
    monkeypatch.setenv("RAY_AUTH_TOKEN", "x")
    assert "is the cluster's" in join_failure("10.0.0.1:6379", ConnectionError("Failed to connect"))
