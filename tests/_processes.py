"""Processes a test run started, found by a mark in their environment, never by name.

``tests/conftest.py`` sets ``SYNTHSWEEP_TEST_RUN`` to a fresh id when it is imported. Every process
the tests start after that inherits it: drivers, ``ray start`` nodes, raylets, GCS servers and
Ray's workers (a raylet passes its environment on, a ``runtime_env``'s variables are added to it).
``/proc/<pid>/environ`` holds a process's environment as it was at exec, so a process carries the
mark exactly when it was started, directly or not, by this run; pytest itself never does (the
variable was set after it started), and threads are not processes. Other sessions' processes on
the machine, Ray clusters included, carry no mark or another one and are never touched.

The same mechanism with another variable tells one node or one driver's processes apart
(``tests/_cluster.py``, ``tests/test_resume_integration.py``): a Ray worker runs in a process group
of its own (Ray 2.60's per-worker process groups), so a process-group kill of a driver or a node
does not reach its workers, but the mark does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

import psutil

RUN_VAR = "SYNTHSWEEP_TEST_RUN"
"""Set by tests/conftest.py, unique to one pytest run."""

_OWN_START = psutil.Process().create_time()

OWNED_DIRS: list[str] = []
"""Directories only this test run's processes write in (its Ray temp dir, each test cluster's root):
a process whose environment reads blank but which has a file open under one is this run's too."""

CHECK_PENDING: set[str] = set()
"""Modules whose end-of-module check (conftest's ``no_process_left``) has not run yet."""


def own_dir(path: str | os.PathLike) -> None:
    """Add a directory that only this test run's processes write in (``OWNED_DIRS``)."""
    OWNED_DIRS.append(os.path.realpath(path))


def marked(
    var: str = RUN_VAR, value: str | None = None, exclude: Iterable[int] = (), dirs: Iterable[str] | None = None
) -> list[psutil.Process]:
    """Live processes whose environment has ``var`` set to ``value`` (default: this process's value),
    and the live descendants of those.

    Descendants count because a process may overwrite its environment's memory, which
    ``/proc/<pid>/environ`` shows (Ray's dashboard and runtime-env agents do, setting their process
    titles); a child of a marked process was started by it all the same. An orphan that has lost
    both its mark and its parent counts when it has a file open under one of ``dirs`` (default: the
    ``OWNED_DIRS``, for this run's own mark): Ray's processes keep their log files open in its temp dir.
    Only processes started after this one are read (an older one cannot have inherited a value set
    here), which keeps the scan to a few milliseconds. Zombies are left out: they run nothing, and
    their parent reaps them. ``exclude``: pids never returned (nor are this process and its ancestors).
    """
    value = os.environ.get(var) if value is None else value
    if not value:
        return []
    if dirs is None:
        dirs = OWNED_DIRS if var == RUN_VAR and value == os.environ.get(RUN_VAR) else ()
    roots = tuple(d.rstrip("/") + "/" for d in dirs)
    skip = {os.getpid(), *(p.pid for p in psutil.Process().parents()), *exclude}
    candidates: dict[int, tuple[psutil.Process, int]] = {}
    found: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter():
        try:
            if proc.create_time() < _OWN_START - 1 or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            candidates[proc.pid] = (proc, proc.ppid())
            if proc.pid in skip:
                continue
            env, overwritten = _environ(proc)
            if env.get(var) == value or (overwritten and roots and _has_file_under(proc, roots)):
                found[proc.pid] = proc
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    grew = True
    while grew:  # the descendants: candidates whose parent is found (a child starts after its parent)
        grew = False
        for pid, (proc, ppid) in candidates.items():
            if pid not in found and pid not in skip and ppid in found:
                found[pid] = proc
                grew = True
    return list(found.values())


def _has_file_under(proc: psutil.Process, roots: tuple[str, ...]) -> bool:
    return any(f.path.startswith(roots) for f in proc.open_files())


def _environ(proc: psutil.Process) -> tuple[dict[str, str], bool]:
    """The variables ``/proc/<pid>/environ`` shows, and whether the process overwrote its start.

    A process that sets its title clears the block from its start with NUL bytes, but only as far
    as the title area reaches: the tail of a long environment (one a Ray driver grew) survives,
    so "overwritten" means a leading NUL, not "no variables left".
    A process caught in the middle of its exec shows no bytes at all for a moment: read again.
    """
    for _ in range(50):
        try:
            with open(f"/proc/{proc.pid}/environ", "rb") as f:
                raw = f.read()
        except (FileNotFoundError, ProcessLookupError):
            raise psutil.NoSuchProcess(proc.pid) from None
        except PermissionError:
            raise psutil.AccessDenied(proc.pid) from None
        if raw:
            break
        time.sleep(0.01)
    env = {}
    for item in raw.decode("utf-8", "replace").split("\0"):
        key, sep, val = item.partition("=")
        if sep:
            env[key] = val
    return env, raw.startswith(b"\0")


def with_descendants(procs: Iterable[psutil.Process]) -> set[int]:
    pids = set()
    for proc in procs:
        pids.add(proc.pid)
        try:
            pids.update(c.pid for c in proc.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return pids


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait (polling) until every one of ``procs`` has exited or is a zombie; the ones still running."""
    deadline = time.monotonic() + timeout
    alive = procs
    while True:
        alive = [p for p in alive if _running(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def kill(procs: Iterable[psutil.Process], timeout: float = 10.0) -> None:
    """SIGKILL exactly ``procs`` (psutil refuses a pid that another process has taken since)."""
    procs = list(procs)
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=timeout)


def kill_marked(var: str, value: str, timeout: float = 30.0) -> None:
    """SIGKILL every process marked ``var=value`` and wait until none is left (new ones included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = marked(var, value)
        if not procs:
            return
        kill(procs, timeout=max(0.1, deadline - time.monotonic()))


def describe(proc: psutil.Process) -> str:
    """One line: name, pid, parent pid, state, command line, and for a Ray worker its raylet's state."""
    try:
        with proc.oneshot():
            name, ppid, status = proc.name(), proc.ppid(), proc.status()
            cmdline = " ".join(proc.cmdline()).strip() or "?"
            raylet = proc.environ().get("RAY_RAYLET_PID")
    except psutil.NoSuchProcess:
        return f"pid {proc.pid} (exited meanwhile)"
    line = f"{name} pid={proc.pid} ppid={ppid} state={status} cmd={cmdline[:300]}"
    if raylet:
        line += f" raylet={raylet} ({_state(int(raylet))})"
    return line


def _state(pid: int) -> str:
    try:
        proc = psutil.Process(pid)
        return f"{proc.status()}, parent {proc.ppid()}"
    except psutil.NoSuchProcess:
        return "gone"


def check_none_left(exempt: Iterable[int] = (), timeout: float = 30.0) -> str | None:
    """After a test module: wait up to ``timeout`` s for this run's processes to exit.

    ``exempt``: pids that may stay (those a session-scoped fixture keeps, and their descendants).
    Returns None when nothing is left, else kills exactly what is left and returns what it was.
    Costs one scan of the process table when no marked process exists.
    """
    exempt = set(exempt)
    left = [p for p in marked() if p.pid not in exempt]
    if not left:
        return None
    left = wait_gone(left, timeout)
    if not left:
        return None
    lines = [describe(p) for p in left]  # before the kill: the states and parents as they were
    kill(left)
    head = f"{len(left)} process(es) started by this test run still ran {timeout:g} s after the module ended"
    return head + " (now killed):\n" + "\n".join("  " + line for line in lines)
