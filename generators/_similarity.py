"""Near-duplicate detection: Jaccard similarity of character n-gram ("shingle") sets.

Texts are normalised first (lower case, letters and digits, single spaces), so punctuation and
case changes do not hide a duplicate. ``ShingleIndex`` keeps an inverted index (shingle -> texts
holding it) and counts shared shingles per indexed text with one ``bincount``, so the best match
is exact, not a MinHash estimate, and texts can be added one at a time (the pool grows as it
is filtered).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._prompts import normalise


def shingles(text: str, n: int = 5) -> frozenset[str]:
    """Character n-grams of the normalised text (the whole text when it is shorter than n)."""
    norm = normalise(text)
    if len(norm) <= n:
        return frozenset([norm]) if norm else frozenset()
    return frozenset(norm[i : i + n] for i in range(len(norm) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


class ShingleIndex:
    def __init__(self, texts: Iterable[str] = (), n: int = 5):
        self.n = n
        self._postings: dict[str, list[int]] = {}
        self._sizes: list[int] = []
        for t in texts:
            self.add(t)

    def __len__(self) -> int:
        return len(self._sizes)

    def add(self, text: str) -> int:
        """Index ``text``; return its id (its position in insertion order)."""
        i = len(self._sizes)
        grams = shingles(text, self.n)
        for g in grams:
            self._postings.setdefault(g, []).append(i)
        self._sizes.append(len(grams))
        return i

    def most_similar(self, text: str) -> tuple[float, int | None]:
        """(highest Jaccard similarity, id of that text) over the indexed texts."""
        grams = shingles(text, self.n)
        lists = [self._postings[g] for g in grams if g in self._postings]
        if not lists:
            return 0.0, None
        inter = np.bincount(np.concatenate([np.asarray(x, dtype=np.int64) for x in lists]), minlength=len(self))
        sim = inter / (len(grams) + np.asarray(self._sizes, dtype=np.float64) - inter)
        best = int(np.argmax(sim))
        return float(sim[best]), best
