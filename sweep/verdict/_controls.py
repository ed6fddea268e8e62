"""Cheap augmenters the verdict compares synthetic data against.

Careful comparisons (Cegin et al., NAACL 2025) find that LLM augmentation must beat these to be
worth its cost: repeating real examples (``oversample``) and simple word-level edits of them
(``eda``, Wei and Zou 2019, without WordNet: inserted words come from the training vocabulary,
so nothing is downloaded).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..inputs import unit_rows

Unit = int | tuple[int, ...]
"""What the synthetic examples were written for: a class, or (label sets) a tuple of label indices."""


def _rows_of(real_y: np.ndarray, unit: Unit) -> np.ndarray:
    """The real examples of a unit: its class, or the texts carrying exactly its labels (else all of them)."""
    if real_y.ndim == 1:
        return np.flatnonzero(real_y == unit)
    return unit_rows(real_y, unit if isinstance(unit, tuple) else (unit,))


def _pick(real_y: np.ndarray, counts: dict[Unit, int], rng: np.random.Generator) -> list[int]:
    """Indices of real examples, ``counts[u]`` of unit ``u``, drawn with replacement."""
    out: list[int] = []
    for unit, n in counts.items():
        pool = _rows_of(real_y, unit)
        if n and len(pool):
            out.extend(rng.choice(pool, size=n, replace=True).tolist())
    return out


def oversample(
    real_texts: Sequence[str], real_y: Sequence[int] | np.ndarray, counts: dict[Unit, int], seed: int
) -> tuple[list[str], np.ndarray]:
    """Real examples repeated: ``counts[u]`` more of unit ``u``, each with its own labels."""
    y = np.asarray(real_y)
    idx = _pick(y, counts, np.random.default_rng(seed))
    return [real_texts[i] for i in idx], y[idx]


def _edit(words: list[str], vocab: list[str], alpha: float, rng: np.random.Generator) -> list[str]:
    n = max(1, int(round(alpha * len(words))))
    op = rng.integers(3)
    words = list(words)
    for _ in range(n):
        if op == 0 and len(words) >= 2:  # swap two words
            i, j = rng.choice(len(words), size=2, replace=False)
            words[i], words[j] = words[j], words[i]
        elif op == 1 and len(words) >= 2:  # delete a word
            del words[int(rng.integers(len(words)))]
        else:  # insert a word from the training vocabulary
            words.insert(int(rng.integers(len(words) + 1)), vocab[int(rng.integers(len(vocab)))])
    return words


def eda_texts(
    real_texts: Sequence[str],
    real_y: Sequence[int] | np.ndarray,
    counts: dict[Unit, int],
    seed: int,
    alpha: float = 0.1,
) -> tuple[list[str], np.ndarray]:
    """``counts[u]`` edited copies of random real examples of unit ``u``: one of random swap,
    deletion or insertion per copy, changing about ``alpha`` of its words; each keeps its labels."""
    y = np.asarray(real_y)
    rng = np.random.default_rng(seed)
    vocab = sorted({w for t in real_texts for w in t.split()})
    idx = _pick(y, counts, rng)
    texts = [" ".join(_edit(real_texts[i].split(), vocab, alpha, rng)) for i in idx]
    return texts, y[idx]
