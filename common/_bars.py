"""Progress bars of Ray workers, drawn by the driver under a label instead of a ``(pid=...)`` prefix.

Ray's ``tqdm_ray`` sends each bar's state from the worker to the driver, which draws it and
prefixes it with the worker's pid (and node address) unless the state names the driver's own
process. Ray has no switch for that prefix, so the driver publishes its node address and pid in
``SYNTHSWEEP_BAR_OWNER`` (``bar_owner_env``, passed to the trials and generator services), and
the bars made here report them: the driver draws them as its own, under their label
(``trial 3: embedding texts``, ``gemma: generating negative @ T=0.8``). Where the variable is
not set, a bar is a plain ``tqdm_ray`` bar with Ray's prefix.
"""

from __future__ import annotations

import os
from typing import Any

OWNER_ENV = "SYNTHSWEEP_BAR_OWNER"


def bar_owner_env() -> dict[str, str]:
    """The driver's node address and pid, for the workers' environment (call after ``ray.init``)."""
    import ray.util

    return {OWNER_ENV: f"{ray.util.get_node_ip_address()} {os.getpid()}"}


def progress_bar(desc: str, total: int, position: int = 0) -> Any:
    """A ``tqdm_ray`` bar (``update``, ``close``) labelled ``desc``, drawn by the driver as its own."""
    from ray.experimental.tqdm_ray import tqdm

    owner = os.environ.get(OWNER_ENV, "").split()
    if len(owner) != 2 or not owner[1].isdigit():
        return tqdm(total=total, desc=desc, position=position)
    ip, pid = owner[0], int(owner[1])

    class DriversBar(tqdm):
        def _get_state(self) -> dict[str, Any]:
            state = super()._get_state()
            state.update(ip=ip, pid=pid)
            return state

    return DriversBar(total=total, desc=desc, position=position)


def erase_orphan_bars() -> None:
    """Erase the bars the driver still draws for workers that are gone.

    A worker stopped mid-pool (Ctrl-C, or Ray shut down before its closing state reached the
    driver) leaves its bar open on the driver; at interpreter exit tqdm would draw it once more,
    below the last line the user should read (the resume hint). Call after ``ray.shutdown``.
    """
    import ray.experimental.tqdm_ray as tqdm_ray

    manager = getattr(tqdm_ray, "_manager", None)  # Ray's own singleton; absent until a bar was drawn
    if manager is None:
        return
    with manager.lock:
        for group in manager.bar_groups.values():
            for bar in group.bars_by_uuid.values():
                bar.bar.leave = False  # closed without a final line
                bar.bar.close()
            group.bars_by_uuid.clear()
