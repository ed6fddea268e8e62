"""Where a sweep's actors and trials go, and whether they fit, before anything runs.

Generator actors hold their resources for the whole sweep; a trial that finds no node with room
left would wait in Ray forever. ``plan_placement`` places the actors on the nodes the way a
scheduler could (scarce resources first, actors without GPUs kept off GPU nodes where possible),
then counts how many trials fit on what is left. ``Plan.problem`` is one line saying what is
needed and what the cluster has when the sweep can never be placed; ``Plan.lines`` is the plan
``synthsweep run --dry-run`` prints.

The nodes come from a running Ray (``ray_nodes``) or, before Ray starts on this machine, from
the machine itself (``local_nodes``: Ray's own CPU and GPU counts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..config import SweepConfig

Resources = dict[str, float]
_EPS = 1e-9
_NOT_SCHEDULING = ("memory", "object_store_memory")


def format_resources(res: Resources, always: tuple[str, ...] = ("CPU", "GPU")) -> str:
    """``CPU 2, GPU 0.25, a100 1``: CPU and GPU first (shown even at 0), then the others that are set."""
    keys = [k for k in always] + sorted(k for k in res if k not in always and res[k] > _EPS)
    return ", ".join(f"{k} {res.get(k, 0.0):g}" for k in keys)


def fits(need: Resources, free: Resources) -> bool:
    return all(free.get(k, 0.0) + _EPS >= v for k, v in need.items() if v > _EPS)


def _take(need: Resources, free: Resources) -> None:
    for k, v in need.items():
        free[k] = free.get(k, 0.0) - v


def _count(need: Resources, free: Resources) -> int:
    """How many times ``need`` fits into ``free``."""
    counts = [math.floor((free.get(k, 0.0) + _EPS) / v) for k, v in need.items() if v > _EPS]
    return max(0, min(counts)) if counts else 0


def _sum(resources: list[Resources]) -> Resources:
    out: Resources = {}
    for res in resources:
        for k, v in res.items():
            out[k] = out.get(k, 0.0) + v
    return out


@dataclass(frozen=True)
class Demand:
    """What one actor or one trial asks Ray for."""

    what: str
    """``generator default, actor 1`` or ``trial``."""
    keys: str
    """The config keys that set it, for messages."""
    resources: Resources


@dataclass
class Node:
    name: str
    """Host name (and address) as Ray reports it."""
    resources: Resources
    """Its total schedulable resources (CPU, GPU, custom ones)."""
    node_id: str | None = None
    head: bool = False


@dataclass
class Plan:
    source: str
    """Where the node list came from (``this machine`` or a Ray cluster address)."""
    nodes: list[Node]
    actors: list[tuple[Demand, str | None]]
    """Each generator actor and the node it would go to (None: no node has room)."""
    trial: Demand
    trial_slots: dict[str, int] = field(default_factory=dict)
    """Trials that fit at once on each node after the actors."""
    max_concurrent: int = 1
    problem: str | None = None
    """One line when the sweep can never be placed; None when it fits."""

    @property
    def fits(self) -> bool:
        return self.problem is None

    @property
    def concurrent(self) -> int:
        return min(self.max_concurrent, sum(self.trial_slots.values()))

    def lines(self) -> list[str]:
        """The placement plan, one fact per line (printed by ``--dry-run``)."""
        total = _sum([n.resources for n in self.nodes])
        out = [f"cluster: {self.source}: {len(self.nodes)} node(s), {format_resources(total, self._shown())}"]
        for n in self.nodes:
            head = " (head)" if n.head else ""
            out.append(f"  node {n.name}{head}: {format_resources(n.resources, self._shown())}")
        for demand, node in self.actors:
            where = f"on {node}" if node else "fits on no node"
            out.append(f"generator actor {demand.what}: {format_resources(demand.resources, self._shown())}, {where}")
        slots = ", ".join(f"{k} {v}" for k, v in self.trial_slots.items() if v) or "none"
        out.append(
            f"trials: {format_resources(self.trial.resources, self._shown())} each; room for {slots} after the "
            f"actors; search.max_concurrent={self.max_concurrent}, so {self.concurrent} at once"
        )
        out.append("fits: yes" if self.fits else f"fits: no: {self.problem}")
        return out

    def _shown(self) -> tuple[str, ...]:
        """CPU and GPU, and every custom resource the sweep asks for."""
        custom = {k for d, _ in self.actors for k in d.resources} | set(self.trial.resources)
        return ("CPU", "GPU", *sorted(custom - {"CPU", "GPU"}))


def sweep_demands(cfg: SweepConfig) -> tuple[list[Demand], Demand]:
    """Every generator actor's and one trial's resources, from the config."""
    configs = cfg.generator_configs()
    actors = []
    for name in cfg.searched_generators():
        g = configs[name]
        prefix = f"generators.{name}" if cfg.generators else "generator"
        res = {"CPU": g.cpus, "GPU": g.actor_gpus, **g.resources}
        for i in range(g.actors):
            actors.append(Demand(f"{name} {i + 1}/{g.actors}", f"{prefix}.cpus/gpus/resources", res))
    t = cfg.resources.trial
    trial = Demand("trial", "resources.trial", {"CPU": t.cpus, "GPU": t.gpus, **t.custom})
    return actors, trial


def _place(demand: Demand, free: dict[str, Resources]) -> str | None:
    """The node an actor goes to: among those with room, GPU nodes only for GPU actors where possible."""
    candidates = [name for name, res in free.items() if fits(demand.resources, res)]
    if not candidates:
        return None
    if demand.resources.get("GPU", 0.0) <= _EPS:
        candidates.sort(key=lambda name: free[name].get("GPU", 0.0) > _EPS)  # stable: CPU-only nodes first
    node = candidates[0]
    _take(demand.resources, free[node])
    return node


def plan_placement(cfg: SweepConfig, nodes: list[Node], source: str) -> Plan:
    actors, trial = sweep_demands(cfg)
    free = {n.name: dict(n.resources) for n in nodes}
    # Scarce resources first: GPU and custom-resource actors before CPU-only ones.
    order = sorted(range(len(actors)), key=lambda i: -sum(v for k, v in actors[i].resources.items() if k != "CPU"))
    where: dict[int, str | None] = {i: _place(actors[i], free) for i in order}
    placed = [(actors[i], where[i]) for i in range(len(actors))]
    slots = {name: _count(trial.resources, res) for name, res in free.items()}
    plan = Plan(source, nodes, placed, trial, slots, cfg.search.max_concurrent)
    plan.problem = _problem(plan)
    return plan


def _problem(plan: Plan) -> str | None:
    """One line when the sweep cannot be placed: what is needed, what the cluster has, what to change."""
    shown = plan._shown()
    total = _sum([n.resources for n in plan.nodes])
    have = f"the cluster has {format_resources(total, shown)}"
    if len(plan.nodes) > 1:
        biggest = max(plan.nodes, key=lambda n: tuple(n.resources.get(k, 0.0) for k in shown))
        have += f" ({len(plan.nodes)} nodes, the largest {format_resources(biggest.resources, shown)})"
    actors = [d for d, _ in plan.actors]
    held = _sum([d.resources for d in actors])
    need_all = _sum([held, plan.trial.resources])
    unplaced = [d for d, node in plan.actors if node is None]
    if unplaced:
        d = unplaced[0]
        return (
            f"the sweep cannot be placed: {len(actors)} generator actor(s) need {format_resources(held, shown)} "
            f"and a trial {format_resources(plan.trial.resources, shown)} ({format_resources(need_all, shown)} "
            f"in all); {have}, and actor {d.what} ({format_resources(d.resources, shown)}) fits on no node: "
            f"lower {d.keys} or generator.actors, or add nodes"
        )
    if sum(plan.trial_slots.values()) == 0:
        return (
            f"the sweep cannot be placed: {len(actors)} generator actor(s) hold {format_resources(held, shown)} "
            f"and a trial needs {format_resources(plan.trial.resources, shown)} "
            f"({format_resources(need_all, shown)} in all); {have}, so no trial could ever start: "
            f"{_hint(plan.trial.resources, plan.nodes, held)}"
        )
    return None


def _hint(trial: Resources, nodes: list[Node], held: Resources) -> str:
    """The keys to change for the resources a trial cannot get."""
    short = [k for k, v in trial.items() if v > _EPS and all(n.resources.get(k, 0.0) + _EPS < v for n in nodes)]
    short = short or [k for k, v in trial.items() if v > _EPS and held.get(k, 0.0) > _EPS]
    hints = []
    for k in short or ["CPU"]:
        if k == "CPU":
            hints.append(
                "lower resources.trial.cpus or generator.cpus (it may be fractional: generator.threads sets threads)"
            )
        elif k == "GPU":
            hints.append("lower resources.trial.gpus (it may be fractional) or generator.gpus, or add a GPU node")
        else:
            hints.append(f"lower resources.trial.custom.{k} or add a node that declares it (`ray start --resources`)")
    return "; ".join(hints)


def local_nodes() -> list[Node]:
    """This machine as Ray would start on it: its CPUs and GPUs as Ray counts them, no custom resources."""
    import socket

    from ray._private.utils import get_num_cpus

    return [Node(socket.gethostname(), {"CPU": float(get_num_cpus()), "GPU": float(_local_gpus())}, head=True)]


def _local_gpus() -> int:
    """GPUs Ray would see here: the visible CUDA devices (``CUDA_VISIBLE_DEVICES``), else all NVIDIA devices."""
    try:
        from ray._private.accelerators import get_accelerator_manager_for_resource

        manager = get_accelerator_manager_for_resource("GPU")
        n = manager.get_current_node_num_accelerators()
        ids = manager.get_current_process_visible_accelerator_ids()
        return min(n, len(ids)) if ids is not None else n
    except Exception:  # Ray's accelerator probing is private API: no GPU is the safe reading
        return 0


def ray_nodes() -> list[Node]:
    """The alive nodes of the Ray this process is connected to."""
    import ray

    out = []
    for n in ray.nodes():
        if not n.get("Alive"):
            continue
        raw = n.get("Resources", {})
        res = {k: float(v) for k, v in raw.items() if k not in _NOT_SCHEDULING and not k.startswith("node:")}
        res = {k: v for k, v in res.items() if not k.startswith("accelerator_type:")}
        # Two nodes may share a host (containers, the tests' second node): the id tells them apart.
        node_id = n.get("NodeID", "")
        name = f"{n.get('NodeManagerHostname', '?')} {n.get('NodeManagerAddress', '?')} {node_id[:8]}"
        out.append(Node(name, res, node_id=node_id, head="node:__internal_head__" in raw))
    out.sort(key=lambda n: (not n.head, n.name))
    return out
