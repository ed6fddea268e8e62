"""Persistent synthetic cache: raw generation attempts in SQLite, shared by every run in a storage dir.

Key: (model file hash, prompt fingerprint hash, label, temperature in tenths, attempt index,
source id). The source id names the real example a paraphrase rewrote (empty for a generated
example), so a paraphrase is never served for another source. Raw model output is stored, not the
filtered result, so filter settings can change without regenerating anything.
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
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (model_hash, prompt_hash, label, temperature_tenths, idx, source)
)
"""
_COLUMNS = "model_hash, prompt_hash, label, temperature_tenths, idx, raw, n_tokens, truncated, created"


def _migrate(db: sqlite3.Connection) -> None:
    """A cache written before source ids existed gets them (empty: every row was generated), in one
    transaction, so a second process opening it at the same time waits and then finds it done."""
    with db:
        db.execute("BEGIN IMMEDIATE")
        columns = [row[1] for row in db.execute("PRAGMA table_info(attempts)")]
        if not columns or "source" in columns:
            db.execute(_SCHEMA)
            return
        db.execute("ALTER TABLE attempts RENAME TO attempts_before_sources")
        db.execute(_SCHEMA)
        db.execute(f"INSERT INTO attempts ({_COLUMNS}) SELECT {_COLUMNS} FROM attempts_before_sources")
        db.execute("DROP TABLE attempts_before_sources")


class SyntheticCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Several trials and runs may open it at once: WAL plus a generous busy timeout.
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        _migrate(self._db)

    def load(
        self, model_hash: str, prompt_hash: str, label: str, t_key: int, start: int = 0
    ) -> list[tuple[int, Completion, str]]:
        """(attempt index, completion, source id) of the pool's cached attempts from index ``start`` on,
        in index order."""
        rows = self._db.execute(
            "SELECT idx, raw, n_tokens, truncated, source FROM attempts WHERE model_hash=? AND prompt_hash=? "
            "AND label=? AND temperature_tenths=? AND idx>=? ORDER BY idx, source",
            (model_hash, prompt_hash, label, t_key, start),
        ).fetchall()
        return [(i, Completion(raw, n, bool(tr)), src) for i, raw, n, tr, src in rows]

    def store(
        self, model_hash: str, prompt_hash: str, label: str, t_key: int, items: list[tuple[int, Completion, str]]
    ) -> None:
        """Store (attempt index, completion, source id) items."""
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            # OR IGNORE: another run may have written the same attempt; generation is seeded,
            # so both copies are the same text.
            self._db.executemany(
                f"INSERT OR IGNORE INTO attempts ({_COLUMNS}, source) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (model_hash, prompt_hash, label, t_key, i, c.text, c.n_tokens, int(c.truncated), now, src)
                    for i, c, src in items
                ],
            )

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]

    def close(self) -> None:
        self._db.close()
