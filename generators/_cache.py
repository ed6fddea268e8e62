"""Persistent synthetic cache: raw generation attempts in SQLite, shared by every run in a storage dir.

Key: (model file hash, prompt fingerprint hash, label, temperature in tenths, attempt index).
Raw model output is stored, not the filtered result, so filter settings can change without
regenerating anything.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ._types import Completion

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    model_hash TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    temperature_tenths INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    raw TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,
    truncated INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (model_hash, prompt_hash, label, temperature_tenths, idx)
)
"""


class SyntheticCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Several trials and runs may open it at once: WAL plus a generous busy timeout.
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def load(self, model_hash: str, prompt_hash: str, label: str, t_key: int) -> list[tuple[int, Completion]]:
        rows = self._db.execute(
            "SELECT idx, raw, n_tokens, truncated FROM attempts WHERE model_hash=? AND prompt_hash=? "
            "AND label=? AND temperature_tenths=? ORDER BY idx",
            (model_hash, prompt_hash, label, t_key),
        ).fetchall()
        return [(i, Completion(raw, n, bool(tr))) for i, raw, n, tr in rows]

    def store(
        self, model_hash: str, prompt_hash: str, label: str, t_key: int, items: list[tuple[int, Completion]]
    ) -> None:
        now = time.time()
        with self._db:
            # OR IGNORE: another run may have written the same attempt; generation is seeded,
            # so both copies are the same text.
            self._db.executemany(
                "INSERT OR IGNORE INTO attempts VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (model_hash, prompt_hash, label, t_key, i, c.text, c.n_tokens, int(c.truncated), now)
                    for i, c in items
                ],
            )

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]

    def close(self) -> None:
        self._db.close()
