"""A real multi-node Ray cluster on this machine (``tests/_cluster.py``): token auth on, a head
without CPUs, worker nodes with their own home and cache. The driver joins through ``ray.address``.

These tests need root (``unshare -m`` and ``mount``); each leaves no Ray process behind: the
cluster is stopped by process group and by its nodes' marks in a ``finally``, whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sweep.rundir import read_trials

from ._cluster import LocalCluster
from .conftest import REPO

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="needs root for unshare -m and mount"),
]

SMALL = [
    "data.max_train=24",
    "classifier.epochs=3",
    "search.temperature=[0.7, 0.7]",
    "search.n_synthetic=[0, 3]",
    "search.n_synthetic_step=3",
    "generator.max_new_tokens=24",
    "eval.verdict_seeds=2",
]


def _synthsweep(cluster: LocalCluster, storage: Path, *overrides: str, env: dict | None = None, **popen):
    args = [sys.executable, "-m", "sweep.cli", "run", str(REPO / "conf" / "demo.yaml")]
    for o in (f"ray.address={cluster.address}", f"storage={storage}", *SMALL, *overrides):
        args += ["--set", o]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **cluster.driver_env(), **(env or {})}
    return args, full_env


@pytest.fixture
def cluster():
    c = LocalCluster("t")
    try:
        c.start_head()
        yield c
    finally:
        c.stop()


def test_two_node_sweep_with_token_auth(cluster, tmp_path):
    """Trials and the generator run on a node that has no copy of the driver's model cache."""
    cluster.add_node("w1")
    cluster.wait_nodes(2)
    storage = tmp_path / "runs"

    args, env = _synthsweep(cluster, storage, "search.num_samples=3")
    plan = subprocess.run([*args, "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert plan.returncode == 0, plan.stderr[-2000:]
    assert f"cluster: the Ray cluster at {cluster.address}: 2 node(s), CPU 2, GPU 0" in plan.stdout

    # The failure: a model directory only the driver has. Now refused at start, naming node and path.
    from common import resolve_classifier_model

    driver_only = resolve_classifier_model("minilm-l6")  # in the driver's ~/.cache, hidden from the worker
    args_model, _ = _synthsweep(cluster, storage, "search.num_samples=3", f"classifier.model={driver_only}")
    refused = subprocess.run(args_model, env=env, capture_output=True, text=True, timeout=300)
    last = refused.stderr.strip().splitlines()[-1]
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert last.startswith(f"error: classifier.model: {driver_only} does not exist on node "), last
    # Storage that only the driver sees.
    private = Path.home() / ".cache" / f"synthsweep-test-{os.getpid()}"
    try:
        args_storage, _ = _synthsweep(cluster, private, "search.num_samples=3")
        refused = subprocess.run(args_storage, env=env, capture_output=True, text=True, timeout=300)
        last = refused.stderr.strip().splitlines()[-1]
        assert refused.returncode == 2 and f"cannot see storage {private}" in last, last
        assert not (private / "demo").exists(), "nothing written for a refused sweep"
    finally:
        shutil.rmtree(private, ignore_errors=True)

    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((storage / "demo" / "summary.json").read_text())
    assert summary["trials"] == {"total": 3, "with_results": 3, "errored": 0}
    assert summary["best"]["test_auc_mean"] is not None

    # A driver without the token is refused by synthsweep with one line, not left hanging.
    home = tmp_path / "home-without-token"
    home.mkdir()
    bare = {k: v for k, v in env.items() if not k.startswith("RAY_AUTH")}
    bare["HOME"] = str(home)
    t0 = time.monotonic()
    refused = subprocess.run(args, env=bare, capture_output=True, text=True, timeout=180)
    assert refused.returncode == 2 and time.monotonic() - t0 < 150
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot join the Ray cluster at {cluster.address}") and "RAY_AUTH_TOKEN" in last


def test_lost_node_is_survived(cluster, tmp_path):
    """The node running the generator and the trials is killed mid-sweep and a new one joins: trials are
    retried there (search.max_failures), the generator worker restarted, nothing generated twice."""
    cluster.add_node("w1")
    cluster.wait_nodes(2)
    storage = tmp_path / "runs"
    run_dir = storage / "demo"
    # The first trial with synthetic data waits after its first epoch while this file exists (a test
    # hook): the node is killed at a known point, not raced against trials of a fraction of a second.
    hold = tmp_path / "hold"
    hold.touch()
    args, env = _synthsweep(
        cluster, storage, "search.num_samples=4", "search.max_failures=3", env={"SYNTHSWEEP_TEST_HOLD_FILE": str(hold)}
    )
    log = open(tmp_path / "driver.log", "w")
    driver = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and driver.poll() is None:
            recs = read_trials(run_dir) if run_dir.is_dir() else []
            held = [r for r in recs if r.state == "RUNNING" and r.rows and int(r.params.get("n_synthetic", 0))]
            if sum(r.state == "TERMINATED" for r in recs) >= 1 and held:
                break
            time.sleep(1)
        assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
        cluster.kill("w1")
        cluster.add_node("w2")
        cluster.wait_nodes(2)  # the head and the replacement (raises if the replacement failed to start)
        hold.unlink()
        code = driver.wait(timeout=900)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, 9)
            driver.wait()
        log.close()
    out = (tmp_path / "driver.log").read_text()
    assert code == 0, out[-4000:]
    recs = read_trials(run_dir)
    assert len(recs) == 4 and all(r.state == "TERMINATED" for r in recs), [(r.number, r.state) for r in recs]
    assert any(r.failures for r in recs), "the trial running on the lost node was retried"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trials"]["with_results"] == 4
    # One temperature and at most 3 synthetic examples: the three pools hold at most 3 accepted
    # texts in all. A pool generated again after the loss would count them twice.
    assert summary["synthetic"]["generated"] <= 3, summary["synthetic"]
