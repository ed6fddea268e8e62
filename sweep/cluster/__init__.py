"""Ray for a sweep: starting or joining it, the placement plan, the start-up checks on every node,
and the long-lived service actors."""

from ._nodes import NodeChecks, check_nodes, node_checks, probe_node
from ._placement import Demand, Node, Plan, local_nodes, plan_placement, ray_nodes, sweep_demands
from ._ray import (
    NAMESPACE,
    PRELOAD_VAR,
    TEST_HOOK_ENV,
    TRIAL_WORKER_MODULE,
    Connection,
    connect,
    driver_env,
    has_ray_token,
    init_ray,
    join_failure,
    plan_sweep,
    quiet_ray,
    starts_local_ray,
)
from ._services import GENERATOR_RESTARTS, Services, running_services

__all__ = [
    "GENERATOR_RESTARTS",
    "NAMESPACE",
    "PRELOAD_VAR",
    "TEST_HOOK_ENV",
    "TRIAL_WORKER_MODULE",
    "Connection",
    "Demand",
    "Node",
    "NodeChecks",
    "Plan",
    "Services",
    "check_nodes",
    "connect",
    "driver_env",
    "has_ray_token",
    "init_ray",
    "join_failure",
    "local_nodes",
    "node_checks",
    "plan_placement",
    "plan_sweep",
    "probe_node",
    "quiet_ray",
    "ray_nodes",
    "running_services",
    "starts_local_ray",
    "sweep_demands",
]
