"""Label sets (``data.task: multilabel``): reading them, splitting them stratified, and the units
synthetic examples are written for.

A split holds its label sets as a 0/1 matrix ``y`` of shape (texts, labels). Splits are cut by
iterative stratification (Sechidis, Tsoumakas and Vlahavas 2011, "On the Stratification of
Multi-Label Data"): the rarest label's texts are placed first, each into the part that still
wants most of that label, so rare labels keep their share in every part; a label with two or
more texts keeps at least one on each side of a cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common import UserError, label_set_name, shown, split_label_set


def parse_label_sets(
    cells: Sequence[object], separator: str, known: Sequence[str] | None, key: str, path: object
) -> list[tuple[str, ...]]:
    """Each row's labels (an empty or missing cell: none), in first-seen order; a label outside
    ``known`` (``data.labels``) is refused by its row number and the label, never the text."""
    allowed = set(known) if known is not None else None
    out = []
    for row, cell in enumerate(cells, start=1):
        text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
        labels = split_label_set(text, separator)
        if allowed is not None:
            for lab in labels:
                if lab not in allowed:
                    raise UserError(
                        f"{key}: row {row} of {path} has the label {shown(lab)}, which data.labels leaves out"
                    )
        out.append(labels)
    return out


def multi_hot(sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """The (texts, labels) 0/1 matrix of ``sets``; every label must be one of ``labels``."""
    index = {lab: i for i, lab in enumerate(labels)}
    y = np.zeros((len(sets), len(labels)), dtype=np.int64)
    for r, s in enumerate(sets):
        for lab in s:
            y[r, index[lab]] = 1
    return y


def iterative_cut(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, cut) with about ``fraction`` of the texts, and of every label's texts, in ``cut``."""
    n = len(y)
    want = np.array([(1.0 - fraction) * y.sum(axis=0), fraction * y.sum(axis=0)], dtype=float)
    want_total = np.array([(1.0 - fraction) * n, fraction * n])
    side = np.full(n, -1)
    left = y.astype(bool).copy()
    while left.any():
        counts = left.sum(axis=0)
        rarest = np.flatnonzero(counts == counts[counts > 0].min())
        label = int(rng.choice(rarest))
        for r in rng.permutation(np.flatnonzero(left[:, label])):
            s = _side(want[:, label], want_total, rng)
            side[r] = s
            want[s] -= y[r]
            want_total[s] -= 1
            left[r] = False
    for r in rng.permutation(np.flatnonzero(side < 0)):  # texts without a label
        s = _side(want_total, want_total, rng)
        side[r] = s
        want_total[s] -= 1
    _one_each_side(y, side, rng)
    return np.flatnonzero(side == 0), np.flatnonzero(side == 1)


def _side(want: np.ndarray, want_total: np.ndarray, rng: np.random.Generator) -> int:
    """The part that wants this label most; ties go to the part that wants most texts, then at random."""
    best = np.flatnonzero(want == want.max())
    if len(best) > 1:
        best = best[want_total[best] == want_total[best].max()]
    return int(rng.choice(best))


def _one_each_side(y: np.ndarray, side: np.ndarray, rng: np.random.Generator) -> None:
    """Move a text across for every label with two or more texts that one side lacks: the text with
    that label and the fewest others, so the move takes as little else along as it can."""
    for label in range(y.shape[1]):
        has = y[:, label] == 1
        if has.sum() < 2:
            continue
        for s in (0, 1):
            if not (has & (side == s)).any():
                donors = np.flatnonzero(has & (side != s))
                fewest = donors[y[donors].sum(axis=1) == y[donors].sum(axis=1).min()]
                side[int(rng.choice(fewest))] = s


def iterative_take(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of about ``n`` texts in the label proportions of ``y`` (``data.max_train``)."""
    if n >= len(y):
        return np.arange(len(y))
    _, taken = iterative_cut(y, n / len(y), rng)
    return np.sort(taken)


def per_label_rows(y: np.ndarray, labels: Sequence[str], k: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of texts holding at least ``k`` of every label (``data.per_label``): the rarest
    label is filled first, at random, and a text taken for one label counts for all its labels."""
    chosen = np.zeros(len(y), dtype=bool)
    for label in np.argsort(y.sum(axis=0), kind="stable"):
        have = int(y[chosen, label].sum())
        pool = rng.permutation(np.flatnonzero((y[:, label] == 1) & ~chosen))
        if have + len(pool) < k:
            raise UserError(
                f"data.per_label: label {shown(labels[label])} has {have + len(pool)} training texts after the "
                f"splits, fewer than {k}"
            )
        chosen[pool[: max(0, k - have)]] = True
    return np.flatnonzero(chosen)


def unit_key(label_set: Sequence[int], labels: Sequence[str], separator: str) -> str:
    """A label set's name: its labels in label order, joined as the data joins them."""
    return label_set_name((labels[i] for i in label_set), labels, separator)


def label_units(y: np.ndarray, labels: Sequence[str], separator: str) -> dict[str, tuple[int, ...]]:
    """The label sets synthetic examples are written for: each label alone, then every other label set
    the training texts carry (``observed``), by name. Empty sets are never written."""
    units: dict[str, tuple[int, ...]] = {labels[i]: (i,) for i in range(len(labels))}
    for row in sorted({tuple(np.flatnonzero(r).tolist()) for r in y}):
        if row:
            units.setdefault(unit_key(row, labels, separator), row)
    return units


def unit_rows(y: np.ndarray, unit: Sequence[int]) -> np.ndarray:
    """The rows that show a unit: those carrying exactly its labels, else those carrying all of them."""
    want = np.zeros(y.shape[1], dtype=bool)
    want[list(unit)] = True
    has = y.astype(bool)
    exact = np.flatnonzero((has == want).all(axis=1))
    return exact if len(exact) else np.flatnonzero(has[:, want].all(axis=1))


def unit_texts(texts: Sequence[str], y: np.ndarray, unit: Sequence[int]) -> list[str]:
    """The real texts that show a unit (``unit_rows``)."""
    return [texts[i] for i in unit_rows(y, unit)]
