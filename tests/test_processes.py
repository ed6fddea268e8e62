"""The end-of-module process check (tests/_processes.py, conftest's ``no_process_left``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from . import _processes

SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]


@pytest.fixture(scope="module")
def module_child():
    """A module-scoped fixture owning a process, as a module-scoped Ray would."""
    proc = subprocess.Popen(SLEEP)
    yield proc
    # Torn down before the end-of-module check: it has not run yet, and will not see this child.
    assert __name__ in _processes.CHECK_PENDING, "the process check ran before a module fixture's teardown"
    proc.kill()
    proc.wait()


def test_the_run_is_marked():
    assert len(os.environ[_processes.RUN_VAR]) == 32
    me = psutil.Process()
    assert _processes.RUN_VAR not in me.environ(), "pytest itself was started without the mark"
    assert me.pid not in {p.pid for p in _processes.marked()}


def test_finds_children_with_the_mark_only(module_child):
    env = {k: v for k, v in os.environ.items() if k != _processes.RUN_VAR}
    unmarked = subprocess.Popen(SLEEP, env=env)
    marked = subprocess.Popen(SLEEP)
    try:
        pids = {p.pid for p in _processes.marked()}
        assert marked.pid in pids and module_child.pid in pids
        assert unmarked.pid not in pids
    finally:
        for p in (unmarked, marked):
            p.kill()
            p.wait()
    assert marked.pid not in {p.pid for p in _processes.marked()}, "a reaped child is gone"


def test_a_leftover_is_killed_and_reported(module_child):
    # A grandchild whose parent exits: reparented, it outlives the test like a leaked Ray worker.
    code = f"import subprocess as s; print(s.Popen({SLEEP!r}, stdout=s.DEVNULL, stderr=s.DEVNULL).pid)"
    orphan = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    t0 = time.monotonic()
    problem = _processes.check_none_left(exempt={module_child.pid}, timeout=0.5)
    assert time.monotonic() - t0 < 10
    assert problem is not None and "1 process(es)" in problem
    assert f"pid={orphan} " in problem and "ppid=" in problem and "time.sleep(120)" in problem
    assert not psutil.pid_exists(orphan) or psutil.Process(orphan).status() == psutil.STATUS_ZOMBIE


def test_nothing_left_costs_one_scan(module_child):
    t0 = time.perf_counter()
    assert _processes.check_none_left(exempt={module_child.pid}) is None
    assert time.perf_counter() - t0 < 1.0


def test_kill_marked_uses_its_own_variable():
    a = subprocess.Popen(SLEEP, env={**os.environ, "SYNTHSWEEP_TEST_PART": "a"})
    b = subprocess.Popen(SLEEP, env={**os.environ, "SYNTHSWEEP_TEST_PART": "b"})
    try:
        _processes.kill_marked("SYNTHSWEEP_TEST_PART", "a")
        assert not psutil.pid_exists(a.pid), "killed and reaped (psutil reaps a child it waited for)"
        assert b.poll() is None
    finally:
        b.kill()
        b.wait()


def test_a_child_that_overwrote_its_environment_is_found_through_its_parent():
    # The child sets its title with Ray's setproctitle, which blanks the environment's memory (as
    # Ray's agents do); the parent keeps its mark, so the child is found as its descendant.
    blank = "import time, ray._raylet; ray._raylet.setproctitle('ray::Blanked'); time.sleep(120)"
    parent_code = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {blank!r}]); time.sleep(120)"
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.monotonic() + 30
        child = None
        while child is None and time.monotonic() < deadline:
            kids = psutil.Process(parent.pid).children()
            if kids and not kids[0].environ():
                child = kids[0]
            time.sleep(0.05)
        assert child is not None, "the child blanked its environment"
        assert child.pid in {p.pid for p in _processes.marked()}
        assert child.pid not in {p.pid for p in _processes.marked("SYNTHSWEEP_TEST_PART", "none")}
    finally:
        for p in psutil.Process(parent.pid).children():
            p.kill()
        parent.kill()
        parent.wait()


def test_an_orphan_that_overwrote_its_environment_is_found_by_its_open_files(tmp_path):
    # As a Ray agent whose raylet died: blank environment, parent 1, its log open in this run's Ray temp dir.
    ray_tmp = os.environ.get("RAY_TMPDIR", "")
    if os.path.realpath(ray_tmp) not in _processes.OWNED_DIRS:
        pytest.skip("RAY_TMPDIR was set from outside: not this run's own")
    orphans = []
    for where in (ray_tmp, str(tmp_path)):
        log = os.path.join(where, f"agent-{uuid.uuid4().hex[:6]}.log")
        agent = (
            f"import time, ray._raylet; f = open({log!r}, 'w'); "
            "ray._raylet.setproctitle('ray::Blanked'); time.sleep(120)"
        )
        quiet = "stdout=s.DEVNULL, stderr=s.DEVNULL"
        code = f"import subprocess as s, sys; print(s.Popen([sys.executable, '-c', {agent!r}], {quiet}).pid)"
        orphans.append(int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(psutil.Process(p).environ() for p in orphans):
            time.sleep(0.05)
        found = {p.pid for p in _processes.marked()}
        assert orphans[0] in found, "its log is open in this run's Ray temp dir"
        assert orphans[1] not in found, "a blank environment alone proves nothing"
    finally:
        _processes.kill(psutil.Process(p) for p in orphans if psutil.pid_exists(p))
