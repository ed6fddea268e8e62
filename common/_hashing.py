"""Content hashes used as cache keys and provenance stamps."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_json(obj: Any) -> str:
    return sha256_text(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str))


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_path(path: str | os.PathLike[str]) -> str:
    """Hash of a file, or of every file in a directory (names and contents, in sorted order).

    The result is memoised per (path, size, mtime) in the process, because model files are
    hashed for every cache key and a 100 MB GGUF takes a fraction of a second each time.
    """
    p = Path(path)
    stat = p.stat()
    key = (str(p.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _MEMO:
        return _MEMO[key]
    if p.is_file():
        digest = sha256_file(p)
    else:
        h = hashlib.sha256()
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(str(f.relative_to(p)).encode())
            h.update(sha256_file(f).encode())
        digest = h.hexdigest()
    _MEMO[key] = digest
    return digest


_MEMO: dict[tuple[str, int, int], str] = {}
