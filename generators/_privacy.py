"""Privacy audit: how much of a synthetic text is copied word for word from a real record.

Two numbers per synthetic text, against a set of real records:

* ``longest_run``: the longest run of consecutive words it shares with any one record;
* ``ngram_overlap``: the highest share of its word ``n``-grams (default 8) found in any one
  record. A text shorter than ``n`` words has no n-grams and scores 0; only its longest run
  (and the pool filter's exact-copy check) can flag it, so short generic sentences that many
  records happen to contain are not treated as copies.

Words are lower-cased ``\\w+`` tokens. Every record's word n-grams are hashed (64-bit rolling
hash) into sorted arrays once, so a query costs a binary search per n-gram instead of a scan over
the records. Runs of at least ``anchor`` words are found along diagonals of matching anchor
grams; shorter runs are looked up in hash sets of 1..anchor-1 grams, so the length is exact.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
_P = np.uint64(0x100000001B3)  # FNV prime: the rolling hash's multiplier


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Overlap:
    longest_run: int
    """Longest run of consecutive words shared with one record."""
    ngram_overlap: float
    """Highest share of the text's word n-grams found in one record (0..1)."""
    record: int | None = None
    """Index of the record holding the longest run (None when nothing is shared)."""


class _Vocab:
    """Words -> stable 64-bit ids (blake2b, so the same in every process)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def encode(self, toks: Sequence[str]) -> np.ndarray:
        out = np.empty(len(toks), dtype=np.uint64)
        for i, w in enumerate(toks):
            h = self._ids.get(w)
            if h is None:
                h = self._ids[w] = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            out[i] = h
        return out


def gram_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """Rolling hashes of every k-gram of ``ids`` (empty when there are fewer than k words)."""
    m = len(ids) - k + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _P + ids[j : j + m]
    return h


class _GramTable:
    """Every k-gram of every record: hashes sorted, with their record and position."""

    def __init__(self, docs: Sequence[np.ndarray], k: int):
        parts = [(gram_hashes(d, k), r) for r, d in enumerate(docs)]
        hashes = np.concatenate([h for h, _ in parts]) if parts else np.zeros(0, dtype=np.uint64)
        recs = np.concatenate([np.full(len(h), r, dtype=np.int64) for h, r in parts]) if parts else np.zeros(0, int)
        pos = np.concatenate([np.arange(len(h), dtype=np.int64) for h, _ in parts]) if parts else np.zeros(0, int)
        order = np.argsort(hashes, kind="stable")
        self.hashes, self.recs, self.pos = hashes[order], recs[order], pos[order]

    def matches(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, record, record position) for every occurrence of every query gram."""
        lo = np.searchsorted(self.hashes, query, side="left")
        hi = np.searchsorted(self.hashes, query, side="right")
        counts = hi - lo
        if not counts.any():
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        qi = np.repeat(np.arange(len(query)), counts)
        starts = np.repeat(lo, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        at = starts + offsets
        return qi, self.recs[at], self.pos[at]

    def contains_any(self, query: np.ndarray) -> bool:
        if len(self.hashes) == 0 or len(query) == 0:
            return False
        i = np.searchsorted(self.hashes, query)
        i[i == len(self.hashes)] = 0
        return bool((self.hashes[i] == query).any())


class OverlapIndex:
    """Word n-gram index of real records; ``measure(text)`` audits one synthetic text."""

    def __init__(self, records: Iterable[str], n: int = 8, anchor: int = 4):
        if n < 1 or anchor < 1:
            raise ValueError("n and anchor must be at least 1")
        self.n, self.anchor = n, anchor
        self._vocab = _Vocab()
        docs = [self._vocab.encode(words(t)) for t in records]
        self.size = len(docs)
        self._anchor = _GramTable(docs, anchor)
        self._short = {k: _GramTable(docs, k) for k in range(1, anchor)}
        self._ngrams = self._anchor if n == anchor else _GramTable(docs, n)

    def longest_run(self, ids: np.ndarray) -> tuple[int, int | None]:
        k = self.anchor
        qi, rec, pos = self._anchor.matches(gram_hashes(ids, k))
        if len(qi):
            # Matching anchors on one diagonal (same record, same offset) at consecutive
            # positions form one shared run of (matches + k - 1) words.
            diag = pos - qi
            order = np.lexsort((qi, diag, rec))
            qi, rec, diag = qi[order], rec[order], diag[order]
            new_run = np.ones(len(qi), dtype=bool)
            new_run[1:] = (rec[1:] != rec[:-1]) | (diag[1:] != diag[:-1]) | (qi[1:] != qi[:-1] + 1)
            run_id = np.cumsum(new_run) - 1
            lengths = np.bincount(run_id)
            best = int(np.argmax(lengths))
            return int(lengths[best]) + k - 1, int(rec[np.flatnonzero(new_run)[best]])
        for k in range(min(self.anchor - 1, len(ids)), 0, -1):
            table = self._short[k]
            grams = gram_hashes(ids, k)
            if table.contains_any(grams):
                qi, rec, _ = table.matches(grams)
                return k, int(rec[0])
        return 0, None

    def ngram_overlap(self, ids: np.ndarray) -> float:
        if len(ids) < self.n:
            return 0.0
        grams = gram_hashes(ids, self.n)
        qi, rec, _ = self._ngrams.matches(grams)
        if not len(qi):
            return 0.0
        # Distinct query grams per record; the best record's share.
        pairs = np.unique(rec * len(grams) + qi)
        per_record = np.bincount(pairs // len(grams))
        return float(per_record.max()) / len(grams)

    def measure(self, text: str) -> Overlap:
        ids = self._vocab.encode(words(text))
        if self.size == 0 or len(ids) == 0:
            return Overlap(0, 0.0, None)
        longest, record = self.longest_run(ids)
        return Overlap(longest, self.ngram_overlap(ids), record)

    def measure_many(self, texts: Iterable[str]) -> list[Overlap]:
        return [self.measure(t) for t in texts]


@dataclass(frozen=True)
class PrivacyLimits:
    """When a synthetic text counts as copied from the real records it is measured against."""

    ngram: int = 8
    max_shared_words: int | None = 12
    """Drop at or above this many consecutive shared words (None: no limit)."""
    max_ngram_overlap: float | None = 0.5
    """Drop at or above this share of n-grams found in one record (None: no limit)."""

    def exceeded(self, o: Overlap) -> bool:
        return (self.max_shared_words is not None and o.longest_run >= self.max_shared_words) or (
            self.max_ngram_overlap is not None and o.ngram_overlap >= self.max_ngram_overlap
        )
