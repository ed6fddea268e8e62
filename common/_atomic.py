"""Write result files so a crash never leaves one half-written.

Permissions: every file and directory synthsweep writes follows the umask, like any tool's
output (0644 and 0755 under the usual umask 022). Temporary files and directories are created
owner-only (``mkstemp``, ``mkdtemp``) and given those modes before they are renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO


def current_umask() -> int:
    """The process umask, read without changing it (``os.umask`` can only set it; Ray runs threads)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def follow_umask(path: str | os.PathLike[str]) -> None:
    """Give ``path`` (a file, or a directory and what is directly in it) the modes the umask gives new ones."""
    mask = current_umask()
    p = Path(path)
    if p.is_dir():
        os.chmod(p, 0o777 & ~mask)
        for child in p.iterdir():
            os.chmod(child, (0o777 if child.is_dir() else 0o666) & ~mask)
    else:
        os.chmod(p, 0o666 & ~mask)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write to a temporary file beside ``path`` and rename it into place."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    return write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write to a temporary file beside ``path``, fsync it and rename it into place."""
    with atomic_file(path) as f:
        f.write(data)
    return Path(path)


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file beside ``path`` that replaces it only when the block succeeds (fsynced, umask modes).

    For content too large to hold in memory (a model file assembled from chunks); a failure,
    including a check raised inside the block, leaves ``path`` as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        follow_umask(tmp)  # mkstemp made it owner-only
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def atomic_dir(target: str | os.PathLike[str], exists: str = "replace") -> Iterator[Path]:
    """Build a directory beside ``target`` and rename it into place only when the block succeeds.

    ``exists`` says what happens to a ``target`` that is there by then: ``replace`` it (a reader
    sees the old or the new tree, never half of one), or ``keep`` it (another process built the
    same thing first: ours is dropped). On failure the temporary tree is removed and ``target``
    is untouched. The directory gets the permissions the umask allows, as any tool's output.
    """
    if exists not in ("replace", "keep"):
        raise ValueError(f"exists must be 'replace' or 'keep', got {exists!r}")
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        yield tmp
        follow_umask(tmp)  # mkdtemp (and writers like safetensors) made it owner-only
        if not out.exists():
            try:
                os.rename(tmp, out)
                return
            except OSError:
                if not out.exists():
                    raise
        if exists == "keep":
            return
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
