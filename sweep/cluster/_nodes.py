"""Checks run on the cluster's nodes at start, so a node that cannot do its part fails the sweep at once.

One zero-CPU task per node (pinned with a node-affinity strategy) reports what that node sees:

* whether torch there has a usable CUDA device and llama.cpp there can offload layers, on every
  node that offers Ray a GPU, when the sweep asks for GPUs (a CPU build would otherwise quietly
  train or generate on the CPU);
* whether ``storage`` is the same directory there as on the driver (a marker file the driver
  wrote must be visible), on every node other than the driver's;
* whether each user-given model path exists there, on the nodes that may load it.

* whether each bundled model's package is installed there (each node resolves a bundled name
  into its own cache when it loads it; nothing is unpacked by the check).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import UserError

from ..config import SweepConfig
from ._placement import Node, fits, sweep_demands

PROBE_TIMEOUT_S = 180.0


@dataclass
class NodeChecks:
    """What one node is asked to check."""

    torch_cuda: bool = False
    llama_offload: bool = False
    storage_marker: str | None = None
    paths: dict[str, str] = field(default_factory=dict)
    """config key -> path that must exist on the node."""
    bundled: dict[str, str] = field(default_factory=dict)
    """config key -> bundled model name whose package must be installed on the node."""

    def any(self) -> bool:
        return self.torch_cuda or self.llama_offload or bool(self.storage_marker) or bool(self.paths or self.bundled)


def probe_node(checks: NodeChecks) -> dict[str, Any]:
    """Runs on the node: the facts ``checks`` asks about (no exception: the driver words the errors)."""
    facts: dict[str, Any] = {"host": socket.gethostname()}
    if checks.torch_cuda:
        import torch

        facts["torch"] = torch.__version__
        facts["cuda"] = bool(torch.cuda.is_available())
    if checks.llama_offload:
        from importlib.metadata import version

        import llama_cpp

        facts["llama_cpp"] = version("llama_cpp_python")
        facts["offload"] = bool(llama_cpp.llama_supports_gpu_offload())
    if checks.storage_marker:
        facts["storage"] = os.path.isfile(checks.storage_marker)
    facts["missing"] = {key: path for key, path in checks.paths.items() if not os.path.exists(path)}
    if checks.bundled:
        from common import bundled_problem

        problems = {key: bundled_problem(name) for key, name in checks.bundled.items()}
        facts["bundled"] = {key: why for key, why in problems.items() if why}
    return facts


def _user_path(model: str, bundled: list[str]) -> str | None:
    """A model given as a path (not a bundled name), made absolute as the driver sees it."""
    if model in bundled:
        return None
    return str(Path(model).expanduser().resolve())


def node_checks(cfg: SweepConfig, node: Node, driver_node: str | None, marker: str | None) -> NodeChecks:
    """What ``node`` must check for this sweep: GPUs where it may get GPU work, storage and model paths."""
    from common import BundledModel

    bundled = [m.value for m in BundledModel]
    actors, trial = sweep_demands(cfg)
    checks = NodeChecks()
    gpu_node = node.resources.get("GPU", 0.0) > 0
    may_trial = fits(trial.resources, node.resources)
    configs = cfg.generator_configs()
    for name in cfg.searched_generators():
        g = configs[name]
        res = {"CPU": g.cpus, "GPU": g.actor_gpus, **g.resources}
        if not fits(res, node.resources):
            continue
        if g.actor_gpus > 0 and gpu_node:
            if g.backend == "llama_cpp":
                checks.llama_offload = True
            else:
                checks.torch_cuda = True
        path = _user_path(g.model, bundled)
        key = f"generators.{name}.model" if cfg.generators else "generator.model"
        if node.node_id != driver_node:
            if path:
                checks.paths[key] = path
            else:
                checks.bundled[key] = g.model
    if may_trial:
        if cfg.resources.trial.gpus > 0 and gpu_node:
            checks.torch_cuda = True
        path = _user_path(cfg.classifier.model, bundled)
        if node.node_id != driver_node:
            if path:
                checks.paths["classifier.model"] = path
            else:
                checks.bundled["classifier.model"] = cfg.classifier.model
    may_actor = any(fits(a.resources, node.resources) for a in actors)
    if marker and node.node_id != driver_node and (may_trial or may_actor):
        checks.storage_marker = marker
    return checks


def _problems(cfg: SweepConfig, node: Node, facts: dict[str, Any]) -> list[str]:
    where = f"node {node.name}"
    out = []
    if facts.get("cuda") is False:
        out.append(
            f"{where} offers Ray a GPU but torch {facts.get('torch')} there has no usable CUDA device; install "
            "torch's CUDA build there (README, GPU nodes) or set resources.trial.gpus=0 and generator.gpus=0"
        )
    if facts.get("offload") is False:
        out.append(
            f"{where} offers Ray a GPU but llama-cpp-python {facts.get('llama_cpp')} there was built without GPU "
            "offload; install its CUDA build there (README, GPU nodes) or set generator.gpus=0"
        )
    if facts.get("storage") is False:
        out.append(
            f"{where} cannot see storage {cfg.storage.resolve()} (a file the driver wrote there is missing); "
            "put storage on a filesystem every node mounts at the same path"
        )
    for key, why in (facts.get("bundled") or {}).items():
        out.append(f"{key}: on node {node.name}: {why}")
    for key, path in (facts.get("missing") or {}).items():
        out.append(f"{key}: {path} does not exist on node {node.name}; copy it there or use a path every node sees")
    return out


def check_nodes(cfg: SweepConfig, nodes: list[Node]) -> None:
    """Run the checks on every node that has any; raise one UserError line for the first problem."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    driver_node = ray.get_runtime_context().get_node_id()
    plans = {n.name: node_checks(cfg, n, driver_node, "") for n in nodes}
    marker_path = None
    if any(n.node_id != driver_node for n in nodes):
        storage = cfg.storage.resolve()
        storage.mkdir(parents=True, exist_ok=True)
        marker_path = storage / f".synthsweep-node-check-{uuid.uuid4().hex[:12]}"
        marker_path.write_text("written by the synthsweep driver; removed after the start-up check\n")
        plans = {n.name: node_checks(cfg, n, driver_node, str(marker_path)) for n in nodes}
    try:
        probe = ray.remote(probe_node)
        pending = {}
        for n in nodes:
            checks = plans[n.name]
            if not checks.any() or n.node_id is None:
                continue
            strategy = NodeAffinitySchedulingStrategy(node_id=n.node_id, soft=False)
            pending[n.name] = probe.options(num_cpus=0, scheduling_strategy=strategy).remote(checks)
        by_name = {n.name: n for n in nodes}
        for name, ref in pending.items():
            try:
                facts = ray.get(ref, timeout=PROBE_TIMEOUT_S)
            except ray.exceptions.GetTimeoutError:
                raise UserError(f"node {name} did not answer the start-up check within {PROBE_TIMEOUT_S:g} s") from None
            except ray.exceptions.RayError as e:
                last = [ln for ln in str(e).splitlines() if ln.strip()][-1:]
                raise UserError(f"the start-up check failed on node {name}: {last[0] if last else e}") from None
            problems = _problems(cfg, by_name[name], facts)
            if problems:
                raise UserError(problems[0])
    finally:
        if marker_path is not None:
            marker_path.unlink(missing_ok=True)
