"""How synthsweep's long-lived service actors differ from trials in a Ray worker pool.

A local Ray starts one idle worker per CPU ahead of time, and synthsweep has those workers import
``ray.tune`` and the trainable before any trial asks (``trainables._trial_worker``), so a trial
placed on one starts at once instead of after 1.4 to 2 s of process start and imports. The
service actors (generator workers, pool services, the feature store) would take those workers
first, since they start before Tune. Their own ``runtime_env`` marks them: Ray gives each a
process of its own, and the preloading module sees the mark and skips imports they do not need.
"""

from __future__ import annotations

SERVICE_ACTOR_VAR = "SYNTHSWEEP_SERVICE_ACTOR"
"""Set (to ``1``) in a service actor's process, never in a trial's."""


def service_runtime_env() -> dict[str, dict[str, str]]:
    """The ``runtime_env`` of a service actor; Ray merges its variables with the job's own."""
    return {"env_vars": {SERVICE_ACTOR_VAR: "1"}}
