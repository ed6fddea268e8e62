"""A real multi-node Ray cluster on one machine, for the cluster tests.

The head is started with ``ray start --head --num-cpus 0`` (the driver's node: no trial or worker
runs there); each worker node is ``ray start --address ...`` inside its own mount namespace
(``unshare -m``) with a private tmpfs over its home and cache directories, so it stands in for a
machine with its own disk: it sees the repository, the virtual environment and ``storage`` but not
the driver's ``~/.cache/synthsweep``. Token authentication is on (Ray's default for a head); the
token is generated here and handed to each node in ``RAY_AUTH_TOKEN``.

Every node runs in its own session (``setsid``) with its own mark in the environment
(``SYNTHSWEEP_TEST_NODE``, see tests/_processes.py), so ``kill`` ends it, and all its Ray daemons and
workers, by process group and by that mark: Ray starts each worker in a process group of its own,
which a process-group kill does not reach. Nothing is stopped by name, so other Ray clusters on the
machine are never touched. Socket paths stay short: the temp dirs live under ``/tmp/r8x``.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import _processes

RAY = str(Path(sys.executable).with_name("ray"))
TMP_ROOT = Path("/tmp/r8x")
NODE_VAR = "SYNTHSWEEP_TEST_NODE"
"""Marks one node's processes: ``<cluster root>/<node key>``."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ports() -> list[str]:
    # Worker ports below Linux's ephemeral range (32768-60999), where free_port's picks come from.
    base = random.randrange(10000, 30000, 200)
    return [
        "--node-manager-port", str(free_port()),
        "--object-manager-port", str(free_port()),
        "--min-worker-port", str(base),
        "--max-worker-port", str(base + 199),
        "--dashboard-agent-listen-port", str(free_port()),
        "--dashboard-agent-grpc-port", str(free_port()),
        "--runtime-env-agent-port", str(free_port()),
        "--metrics-export-port", str(free_port()),
    ]  # fmt: skip


class LocalCluster:
    def __init__(self, name: str):
        self.root = TMP_ROOT / f"{name}-{secrets.token_hex(3)}"
        self.root.mkdir(parents=True)
        _processes.own_dir(self.root)  # its nodes keep their logs open here
        self.token = secrets.token_hex(32)
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.groups: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
            "RAY_USAGE_STATS_ENABLED": "0",
            # A lost node is noticed within seconds, not the default 30 or so.
            "RAY_health_check_period_ms": "1000",
            "RAY_health_check_failure_threshold": "3",
            "RAY_health_check_initial_delay_ms": "1000",
        }

    def driver_env(self) -> dict[str, str]:
        """What a driver (or the ``synthsweep`` command) needs to join: the token, nothing else."""
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token}

    def _start(self, key: str, args: list[str], private_home: bool) -> None:
        log = open(self.root / f"{key}.log", "wb")
        cmd = [RAY, "start", "--block", "--disable-usage-stats", *args]
        if private_home:
            home = self.root / f"{key}-home"
            home.mkdir()
            cache = Path.home() / ".cache"
            script = (
                f"mount -t tmpfs tmpfs {home} && mount -t tmpfs tmpfs {cache} && "
                f'export HOME={home} XDG_CACHE_HOME={cache} && exec "$@"'
            )
            cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *cmd]
        env = {**self.env, NODE_VAR: self._mark(key)}
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.groups[key] = proc

    def _mark(self, key: str) -> str:
        return f"{self.root}/{key}"

    def start_head(self) -> str:
        temp = self.root / "h"
        args = ["--head", "--num-cpus", "0", "--port", str(self.port), "--node-ip-address", "127.0.0.1",
                "--include-dashboard", "false", "--dashboard-port", str(free_port()),
                "--temp-dir", str(temp), *_ports()]  # fmt: skip
        self._start("head", args, private_home=False)
        self.wait_nodes(1)
        return self.address

    def add_node(self, key: str, num_cpus: int = 2) -> None:
        args = ["--address", self.address, "--num-cpus", str(num_cpus), "--node-ip-address", "127.0.0.1",
                *_ports()]  # fmt: skip
        self._start(key, args, private_home=True)

    def alive_nodes(self) -> int:
        code = "import ray; ray.init(address='%s', logging_level=40); print(sum(n['Alive'] for n in ray.nodes()))"
        try:
            proc = subprocess.run(
                [sys.executable, "-c", code % self.address], env=self.env, capture_output=True, text=True, timeout=30
            )
        except subprocess.TimeoutExpired:  # the head still starting: ask again
            return 0
        try:
            return int(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return 0

    def wait_nodes(self, n: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [k for k, p in self.groups.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"ray start of {dead} exited; logs in {self.root}")
            if self.alive_nodes() == n:
                return
            time.sleep(1.0)
        raise TimeoutError(f"{n} Ray node(s) not alive after {timeout:g} s; logs in {self.root}")

    def kill(self, key: str) -> None:
        """SIGKILL every process of a node at once: it is lost, as a machine that disappears.

        Its process group (``ray start``, raylet, GCS, agents) and every process carrying its mark
        (its workers, each in a process group of its own); returns when none is left.
        """
        proc = self.groups.pop(key, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _processes.kill_marked(NODE_VAR, self._mark(key))
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the last process of the group is gone
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        _processes.kill_marked(NODE_VAR, self._mark(key))

    def stop(self, keep_logs: bool = False) -> None:
        """End every node started here (workers first, then the head), by process group."""
        for key in [k for k in self.groups if k != "head"] + (["head"] if "head" in self.groups else []):
            self.kill(key)
        if not keep_logs:
            shutil.rmtree(self.root, ignore_errors=True)
