"""GPUs asked for must be usable where the work runs; the cache key records the device actually used."""

from __future__ import annotations

import pytest

from generators import device_kind
from sweep import load_config
from sweep.cluster import Node
from sweep.inputs import generator_cache_key

from .conftest import REPO

DEMO = REPO / "conf" / "demo.yaml"


def test_cache_key_records_the_device_the_workers_report(tmp_path):
    g = load_config(DEMO, ["generator.gpus=1"]).generator
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 16)
    assert generator_cache_key(g, path, "cpu") != generator_cache_key(g, path, "gpu")
    assert generator_cache_key(g, path) == generator_cache_key(g, path, "gpu"), "config's device as the default"


def test_device_kind():
    class M:
        device = "cpu"

    assert device_kind(M()) == "cpu"
    M.device = "gpu"
    assert device_kind(M()) == "gpu"
    torch = pytest.importorskip("torch")
    M.device = torch.device("cpu")
    assert device_kind(M()) == "cpu"


def test_llama_cpp_cpu_build_refuses_gpu_offload():
    import llama_cpp

    from generators.llama_cpp.model import check_gpu_offload

    if llama_cpp.llama_supports_gpu_offload():
        pytest.skip("this llama.cpp build offloads to a GPU")
    with pytest.raises(RuntimeError, match="built without GPU offload.*generator.gpus=0"):
        check_gpu_offload()


def test_trial_without_cuda_refuses_gpu():
    import torch

    from trainables import ClassifierSettings, TrialSettings
    from trainables.trainable import trial_device

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    c = ClassifierSettings(
        path="x",
        hash="h",
        mode="head",
        epochs=1,
        learning_rate=0.1,
        batch_size=4,
        max_length=8,
        weight_decay=0.0,
        lora_r=8,
    )
    settings = TrialSettings(classifier=c, seed=0, repeats=1, cpus=1, gpus=0.25, services={}, feature_cache="")
    with pytest.raises(RuntimeError, match="no usable CUDA device"):
        trial_device(settings)


def test_node_checks_ask_gpu_nodes_only():
    from sweep.cluster import node_checks

    cfg = load_config(DEMO, ["generator.gpus=1", "resources.trial.gpus=1"])
    gpu = Node("g", {"CPU": 4.0, "GPU": 2.0}, node_id="g")
    cpu = Node("c", {"CPU": 4.0, "GPU": 0.0}, node_id="c")
    on_gpu = node_checks(cfg, gpu, driver_node="g", marker=None)
    assert on_gpu.llama_offload and on_gpu.torch_cuda and not on_gpu.paths and not on_gpu.storage_marker
    assert not node_checks(cfg, cpu, driver_node="g", marker="/s/m").any(), "nothing of this sweep can run there"


def test_node_checks_user_paths_and_storage_on_other_nodes(tmp_path):
    from sweep.cluster import node_checks

    model = tmp_path / "model.gguf"
    cfg = load_config(DEMO, [f"generator.model={model}"])
    other = Node("w", {"CPU": 4.0, "GPU": 0.0}, node_id="w")
    checks = node_checks(cfg, other, driver_node="head", marker="/s/m")
    assert checks.paths == {"generator.model": str(model)}
    assert checks.bundled == {"classifier.model": "minilm-l6"}, "resolved there; only its package is looked for"
    assert checks.storage_marker == "/s/m" and not checks.torch_cuda
    assert not node_checks(cfg, Node("h", {"CPU": 4.0}, node_id="head"), driver_node="head", marker="/s/m").any()


def test_trial_releases_gpu_memory_when_it_ends(monkeypatch):
    import torch

    from trainables import trainable

    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append("empty_cache"))
    trainable.release_gpu_memory()
    assert calls == ["empty_cache"]
