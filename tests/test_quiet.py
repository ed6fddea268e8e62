"""Quiet by default: Ray's and Tune's own messages off unless --verbose; progress bars of trials and
generator services carry a label, not Ray's ``(pid=...)`` prefix."""

from __future__ import annotations

import os
import sys

from common import BAR_OWNER_ENV as OWNER_ENV
from common import progress_bar


def test_a_bar_reports_the_drivers_process_so_ray_draws_it_without_a_pid(monkeypatch):
    monkeypatch.setenv(OWNER_ENV, f"10.1.2.3 {os.getpid() + 1}")
    state = progress_bar("trial 3: embedding texts", total=10)._get_state()
    assert state["desc"] == "trial 3: embedding texts" and state["total"] == 10
    assert (state["ip"], state["pid"]) == ("10.1.2.3", os.getpid() + 1)


def test_without_an_owner_a_bar_is_ray_s_own(monkeypatch):
    monkeypatch.delenv(OWNER_ENV, raising=False)
    state = progress_bar("gemma: generating negative @ T=0.8", total=4, position=1)._get_state()
    assert state["pid"] == os.getpid() and state["pos"] == 1
    assert state["desc"] == "gemma: generating negative @ T=0.8"


def test_the_driver_draws_an_owned_bar_without_a_prefix(monkeypatch, capsys):
    """Ray's driver-side manager, fed the state a worker would send, gives the bar no pid prefix."""
    from ray.experimental import tqdm_ray

    monkeypatch.setattr(tqdm_ray, "_manager", None)
    monkeypatch.setenv("RAY_TQDM_PATCH_PRINT", "0")  # leave builtins.print alone
    manager = tqdm_ray.instance()
    monkeypatch.setenv(OWNER_ENV, f"{manager.ip} {manager.pid}")
    state = progress_bar("trial 3: embedding texts", total=2)._get_state()
    manager.process_state_update(dict(state))
    assert state["desc"] == "trial 3: embedding texts"
    bar = next(iter(manager.bar_groups.values())).bars_by_uuid[state["uuid"]]
    assert bar.state["desc"] == "trial 3: embedding texts"  # no "(pid=...)" put in front
    state["closed"] = True
    manager.process_state_update(dict(state))


_ORPHAN = """
import os, sys
os.environ["RAY_TQDM_PATCH_PRINT"] = "0"
from ray.experimental import tqdm_ray
from common import erase_orphan_bars, progress_bar
manager = tqdm_ray.instance()
state = progress_bar("generating @ T=0.7", total=80)._get_state()
state.update(ip=manager.ip, pid=manager.pid + 1)  # a worker's bar whose closing state never came
manager.process_state_update(dict(state))
if sys.argv[1] == "erase":
    erase_orphan_bars()
print("continue it with: synthsweep resume runs/demo", file=sys.stderr)
"""


def test_a_bar_left_open_by_a_stopped_worker_is_erased_not_drawn_below_the_last_line():
    import subprocess

    def last_line(mode: str) -> str:
        out = subprocess.run([sys.executable, "-c", _ORPHAN, mode], capture_output=True, text=True, check=True)
        return [ln for ln in out.stderr.replace("\r", "\n").splitlines() if ln.strip()][-1]

    assert "generating @ T=0.7" in last_line("keep")  # the control: tqdm draws it at exit
    assert last_line("erase") == "continue it with: synthsweep resume runs/demo"


def test_quiet_ray_uses_documented_switches_only_before_ray_is_imported(monkeypatch):
    import logging

    import sweep._pipeline

    tune_logger = logging.getLogger("ray.tune.tune")
    monkeypatch.setattr(tune_logger, "level", tune_logger.level)
    for var in ("RAY_AUTH_MODE", "RAY_AIR_NEW_OUTPUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delitem(sys.modules, "ray", raising=False)
    sweep.cluster.quiet_ray(None, verbose=False)

    assert os.environ["RAY_AUTH_MODE"] == "token"  # what a new local Ray chooses anyway, unannounced
    assert os.environ["RAY_AIR_NEW_OUTPUT"] == "0"  # no configuration box, no TensorBoard hint
    assert tune_logger.level == logging.ERROR  # no "Resume experiment with: Tuner.restore(...)" on Ctrl-C

    for var in ("RAY_AUTH_MODE", "RAY_AIR_NEW_OUTPUT"):
        monkeypatch.delenv(var)
    sweep.cluster.quiet_ray("ray://head:10001", verbose=False)  # a remote cluster decides its own auth
    assert "RAY_AUTH_MODE" not in os.environ and os.environ["RAY_AIR_NEW_OUTPUT"] == "0"
    monkeypatch.delenv("RAY_AIR_NEW_OUTPUT")
    sweep.cluster.quiet_ray(None, verbose=True)
    assert "RAY_AUTH_MODE" not in os.environ and "RAY_AIR_NEW_OUTPUT" not in os.environ
