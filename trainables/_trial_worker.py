"""Imported ahead by every idle worker a local Ray starts, so a trial placed on one starts at once.

``sweep._runner.init_ray`` names this module in ``RAY_preload_python_modules`` for a Ray it starts.
A worker that has not imported ``ray.tune`` spends about 1 s on it before any trial code runs
(``bench/tune_start.py``); Ray's idle workers do it while the sweep is still starting. Service
actors run in processes of their own marked by ``SERVICE_ACTOR_VAR`` (``common._service_actors``)
and need neither import.
"""

import os

from common import SERVICE_ACTOR_VAR

if not os.environ.get(SERVICE_ACTOR_VAR):
    import ray.tune  # noqa: F401  # what unpickling a Tune trainable imports

    from . import trainable  # noqa: F401
