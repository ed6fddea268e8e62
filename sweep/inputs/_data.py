"""Load and split the user's labelled text data, with one-line errors for bad input.

Errors name files, columns, labels and row numbers, never the text itself: the text may be
patient data and must not reach logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common import SHOWN_CHARS, UserError, sha256_file, shown

from ..config import DataConfig
from ._labelsets import (
    iterative_cut,
    iterative_take,
    label_units,
    multi_hot,
    parse_label_sets,
    per_label_rows,
    unit_texts,
)

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported when a file is read: `status` imports this package and reads no data file.
_READERS = {
    ".csv": lambda pd, p: pd.read_csv(p),
    ".tsv": lambda pd, p: pd.read_csv(p, sep="\t"),
    ".jsonl": lambda pd, p: pd.read_json(p, lines=True),
    ".ndjson": lambda pd, p: pd.read_json(p, lines=True),
    ".json": lambda pd, p: pd.read_json(p),
    ".parquet": lambda pd, p: pd.read_parquet(p),
    ".pq": lambda pd, p: pd.read_parquet(p),
}


@dataclass(frozen=True)
class Split:
    """Texts and their labels: integer labels (indices into ``Dataset.labels``), or for label sets
    (``data.task: multilabel``) a 0/1 matrix of shape (texts, labels)."""

    texts: list[str]
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def by_label(self, label_index: int) -> list[str]:
        """The texts of the label (label sets: every text that carries it)."""
        hit = self.y[:, label_index] == 1 if self.y.ndim == 2 else self.y == label_index
        return [t for t, h in zip(self.texts, hit) if h]


@dataclass(frozen=True)
class Dataset:
    labels: list[str]
    """Class names, sorted; a label's index is its class id."""
    train: Split
    validation: Split
    test: Split
    files: dict[str, str]
    """Data file path -> sha256, for provenance."""
    positive_label: str | None = None
    """With two classes, the class of interest (`data.positive_label`, default the second label)."""
    removed: dict[str, int] = field(default_factory=dict)
    """Rows dropped before training: `overlap_train` / `overlap_validation` (texts that also occur in
    another split), `other_labels` (rows whose label `data.labels` leaves out)."""
    separator: str | None = None
    """Label sets (``data.task: multilabel``): what joins a text's labels; None for one label per text."""

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    @property
    def multilabel(self) -> bool:
        return self.separator is not None

    def units(self) -> dict[str, tuple[int, ...]]:
        """What synthetic examples are written for, by pool name: each label (one label per text), and
        for label sets also every label set the training texts carry (``_labelsets.label_units``)."""
        if self.separator is None:
            return {lab: (i,) for i, lab in enumerate(self.labels)}
        return label_units(self.train.y, self.labels, self.separator)

    def unit_texts(self, unit: tuple[int, ...]) -> list[str]:
        """The real training texts a unit's prompts show (label sets: ``_labelsets.unit_texts``)."""
        if self.separator is None:
            return self.train.by_label(unit[0])
        return unit_texts(self.train.texts, self.train.y, unit)

    def label_counts(self) -> np.ndarray:
        """Training texts per label."""
        from trainables import texts_per_label

        return texts_per_label(self.train.y, len(self.labels))

    @property
    def positive(self) -> int | None:
        return self.labels.index(self.positive_label) if self.positive_label is not None else None


def read_table(path: Path, key: str) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"{key}: file not found: {path.absolute()}")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UserError(f"{key}: {path} has an unknown format; use .csv, .tsv, .jsonl or .parquet")
    import pandas

    try:
        df = reader(pandas, path)
    except Exception as e:  # pandas raises many types; the user needs the file and the reason
        raise UserError(f"{key}: cannot read {path}: {type(e).__name__}") from None
    if len(df) == 0:
        raise UserError(f"{key}: {path} has no rows")
    return df


def _texts_and_labels(df: pd.DataFrame, cfg: DataConfig, key: str, path: Path) -> tuple[list[str], list[str]]:
    for col_key, col in (("data.text_column", cfg.text_column), ("data.label_column", cfg.label_column)):
        if col not in df.columns:
            names = [str(c) for c in df.columns[:12]]
            cols = ", ".join(shown(n, quote=False) for n in names)
            hint = "; does the file lack a header row?" if any(len(n) > SHOWN_CHARS for n in names) else ""
            raise UserError(f"{col_key}: column {col!r} not in {path} (columns: {cols}){hint}")
    texts = df[cfg.text_column]
    labels = df[cfg.label_column]
    missing = labels.isna()
    if missing.any() and not cfg.multilabel:  # a text without labels is an empty label set
        raise UserError(
            f"{key}: {int(missing.sum())} rows of {path} have no label (first at row {int(np.argmax(missing)) + 1})"
        )
    clean = texts.fillna("").astype(str).str.strip()
    empty = clean.str.len() == 0
    if empty.any():
        raise UserError(
            f"{key}: {int(empty.sum())} rows of {path} have empty text (first at row {int(np.argmax(empty)) + 1})"
        )
    _check_markers(clean.tolist(), cfg.markers, key, path)
    if cfg.multilabel:
        return clean.tolist(), labels.where(~missing, "").astype(str).tolist()
    return clean.tolist(), labels.astype(str).str.strip().tolist()


def _check_markers(texts: list[str], markers: tuple[str, ...], key: str, path: Path) -> None:
    """``data.task: relation``: the first row whose text lacks a marker, repeats one or misorders them
    is refused by its row number (the text is never shown)."""
    from common import marker_problem

    for row, text in enumerate(texts, start=1):
        problem = marker_problem(text, markers) if markers else None
        if problem:
            raise UserError(
                f"{key}: row {row} of {path} {problem}; data.task relation needs each of "
                f"{' '.join(markers)} once, in that order"
            )


def _stratified_cut(
    y: np.ndarray, fraction: float, rng: np.random.Generator, keep: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, cut): ``fraction`` of every class is cut, at least one per class with more than
    ``keep`` rows, and at least ``keep`` of each such class kept (label sets: iterative stratification,
    ``_labelsets``)."""
    if y.ndim == 2:
        return iterative_cut(y, fraction, rng)
    kept: list[int] = []
    cut: list[int] = []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_cut = int(round(len(idx) * fraction))
        if len(idx) > keep:
            n_cut = min(max(n_cut, 1), len(idx) - keep)
        else:
            n_cut = 0
        cut.extend(idx[:n_cut])
        kept.extend(idx[n_cut:])
    return np.sort(np.array(kept, dtype=np.int64)), np.sort(np.array(cut, dtype=np.int64))


def _stratified_take(y: np.ndarray, n: int, rng: np.random.Generator, floor: int) -> np.ndarray:
    """About ``n`` indices in class proportion, but at least ``floor`` of every class (if it has them)."""
    if n >= len(y):
        return np.arange(len(y))
    if y.ndim == 2:
        return iterative_take(y, n, rng)
    classes, counts = np.unique(y, return_counts=True)
    want = np.maximum(np.round(counts * n / len(y)).astype(int), np.minimum(floor, counts))
    while want.sum() > n and (want > np.minimum(floor, counts)).any():
        want[np.argmax(want - np.minimum(floor, counts))] -= 1  # trim the largest class first
    taken = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, want)]
    return np.sort(np.concatenate(taken))


def normalized(text: str) -> str:
    """A text as the cross-split duplicate check compares it: whitespace collapsed, case folded."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def _keep_labels(texts: list[str], labels: list[str], keep: list[str] | None) -> tuple[list[str], list[str], int]:
    if keep is None:
        return texts, labels, 0
    rows = [(t, lab) for t, lab in zip(texts, labels) if lab in keep]
    return [t for t, _ in rows], [lab for _, lab in rows], len(texts) - len(rows)


def _drop_overlaps(train: Split, validation: Split, test: Split) -> tuple[Split, Split, dict[str, int]]:
    """Remove from train and validation every text that also occurs in another split.

    A review posted twice, or a note copied between records, would otherwise be scored on a
    split the classifier trained on (or picked trials on), flattering every result.
    """
    seen = {
        name: {normalized(t) for t in split.texts}
        for name, split in (("train", train), ("validation", validation), ("test", test))
    }

    def keep(split: Split, name: str) -> tuple[Split, int]:
        others = set().union(*(v for k, v in seen.items() if k != name))
        mask = np.array([normalized(t) not in others for t in split.texts], dtype=bool)
        return Split([t for t, k in zip(split.texts, mask) if k], split.y[mask]), int((~mask).sum())

    train2, n_train = keep(train, "train")
    validation2, n_val = keep(validation, "validation")
    return train2, validation2, {"overlap_train": n_train, "overlap_validation": n_val}


def _read_train(cfg: DataConfig, files: dict[str, str]) -> tuple[list[str], np.ndarray, list[str], int]:
    """(texts, their labels as ``Split.y`` holds them, the sorted labels, rows dropped by ``data.labels``)
    of the training file."""
    texts, raw_labels = _texts_and_labels(read_table(cfg.train, "data.train"), cfg, "data.train", cfg.train)
    files[str(cfg.train)] = sha256_file(cfg.train)
    if cfg.multilabel:
        return _label_sets(cfg, texts, raw_labels)
    if cfg.labels is not None:
        unknown = [lab for lab in cfg.labels if lab not in set(raw_labels)]
        if unknown:
            raise UserError(f"data.labels: label {shown(unknown[0])} does not occur in data.train")
    texts, raw_labels, other_labels = _keep_labels(texts, raw_labels, cfg.labels)
    labels = sorted(set(raw_labels))
    if len(labels) > max(20, len(texts) // 2):
        # Checked before any message names a label: these "labels" are probably record texts.
        raise UserError(
            f"data.label_column: column {cfg.label_column!r} has {len(labels)} distinct values in {len(texts)} rows; "
            "a label column holds a few classes (is it the text column?)"
        )
    if len(labels) < 2:
        raise UserError(f"data.label_column: {cfg.train} has {len(labels)} class; at least two are needed")
    index = {lab: i for i, lab in enumerate(labels)}
    return texts, np.array([index[lab] for lab in raw_labels]), labels, other_labels


def _label_sets(cfg: DataConfig, texts: list[str], cells: list[str]) -> tuple[list[str], np.ndarray, list[str], int]:
    """``_read_train`` for label sets: every text kept (a label outside ``data.labels`` is an error)."""
    sets = parse_label_sets(cells, cfg.label_separator, cfg.labels, "data.train", cfg.train)
    found = sorted({lab for s in sets for lab in s})
    if len(found) > max(50, len(texts) // 2):
        raise UserError(
            f"data.label_column: column {cfg.label_column!r} has {len(found)} distinct labels in {len(texts)} rows; "
            "a label column holds a few labels (is it the text column?)"
        )
    labels = list(cfg.labels) if cfg.labels is not None else found
    absent = [lab for lab in labels if lab not in found]
    if absent:
        raise UserError(f"data.labels: label {shown(absent[0])} does not occur in data.train")
    if len(labels) < 2:
        raise UserError(f"data.label_column: {cfg.train} has {len(labels)} label; at least two are needed")
    return texts, multi_hot(sets, labels), labels, 0


def _read_test(cfg: DataConfig, labels: list[str], files: dict[str, str]) -> Split:
    """The separate test file (``data.test``), its labels checked against the training classes."""
    assert cfg.test is not None
    test_texts, test_raw = _texts_and_labels(read_table(cfg.test, "data.test"), cfg, "data.test", cfg.test)
    files[str(cfg.test)] = sha256_file(cfg.test)
    if cfg.multilabel:
        sets = parse_label_sets(test_raw, cfg.label_separator, labels, "data.test", cfg.test)
        return Split(test_texts, multi_hot(sets, labels))
    test_texts, test_raw, _ = _keep_labels(test_texts, test_raw, cfg.labels)
    unknown = sorted(set(test_raw) - set(labels))
    if unknown:
        raise UserError(f"data.test: label {shown(unknown[0])} does not occur in data.train")
    index = {lab: i for i, lab in enumerate(labels)}
    return Split(test_texts, np.array([index[lab] for lab in test_raw]))


def _positive_label(cfg: DataConfig, labels: list[str]) -> str | None:
    if len(labels) == 2:
        positive = cfg.positive_label if cfg.positive_label is not None else labels[1]
        if positive not in labels:
            raise UserError(
                f"data.positive_label: {shown(positive)} is not a label (labels: {', '.join(map(shown, labels))})"
            )
        return positive
    if cfg.positive_label is not None:
        raise UserError(f"data.positive_label: only for two classes; the data has {len(labels)}")
    return None


def _check_splittable(labels: list[str], y: np.ndarray, cut_test: bool, train_file: Path) -> None:
    """Before the cuts (one label per text): every label has a text for each split cut from the
    training file (train, validation, and test when ``cut_test``: no ``data.test``). The rarest label
    too rare is named with its count, never its texts."""
    counts = np.bincount(y, minlength=len(labels))
    need = 3 if cut_test else 2
    short = [int(i) for i in np.argsort(counts, kind="stable") if counts[i] < need]
    if not short:
        return
    n = int(counts[short[0]])
    splits = "each of train, validation and test needs one" if cut_test else "train and validation need one each"
    more = _more(len(short) - 1, f"fewer than {need}")
    raise UserError(
        f"data.train: label {shown(labels[short[0]])} has {n} example{'' if n == 1 else 's'} in {train_file.name}; "
        f"{splits}, so at least {need}{more}"
    )


def _more(n: int, what: str) -> str:
    """`` (2 more labels have ...)``: how many more labels a one-line refusal leaves unnamed."""
    if n == 0:
        return ""
    return f" ({n} more label has {what})" if n == 1 else f" ({n} more labels have {what})"


def _check_test_labels(labels: list[str], test: Split, test_file: Path) -> None:
    """``data.test`` holds every label (one label per text): a label without test texts has no test AUC."""
    absent = [lab for i, lab in enumerate(labels) if not (test.y == i).any()]
    if absent:
        more = _more(len(absent) - 1, "none either")
        raise UserError(
            f"data.test: label {shown(absent[0])} has 0 examples in {test_file.name}; the test split needs one of "
            f"every label{more}"
        )


def _check_floor(labels: list[str], train: Split, validation: Split, min_per_label: int) -> None:
    """Every class keeps ``min_per_label`` training examples and one validation example."""
    for i, lab in enumerate(labels):
        have = int((train.y == i).sum())
        if have < min_per_label:
            raise UserError(
                f"generator.few_shot: class {shown(lab)} has {have} training examples after the splits, "
                f"fewer than generator.few_shot={min_per_label}"
            )
        if int((validation.y == i).sum()) == 0:
            raise UserError(
                f"data.validation_fraction: class {shown(lab)} has no validation examples; add data or raise it"
            )


def _check_label_floor(labels: list[str], splits: dict[str, Split]) -> None:
    """Label sets: every label is carried by at least one text of each split (its AUC needs it)."""
    for i, lab in enumerate(labels):
        counts = {name: int(s.y[:, i].sum()) for name, s in splits.items()}
        empty = [name for name, n in counts.items() if n == 0]
        if empty:
            have = ", ".join(f"{n} in {name}" for name, n in counts.items())
            raise UserError(
                f"data.label_column: label {shown(lab)} is too rare to split ({have}); every label needs a text "
                "in train, validation and test: add texts with it or leave it out of data.labels"
            )


def _per_label(train: Split, labels: list[str], k: int, rng: np.random.Generator) -> Split:
    """``k`` random training examples of every label (``data.per_label``), in their original order
    (label sets: at least ``k`` of every label)."""
    if train.y.ndim == 2:
        keep = per_label_rows(train.y, labels, k, rng)
        return Split([train.texts[i] for i in keep], train.y[keep])
    picks = []
    for i, lab in enumerate(labels):
        idx = np.flatnonzero(train.y == i)
        if len(idx) < k:
            raise UserError(
                f"data.per_label: class {shown(lab)} has {len(idx)} training examples after the splits, fewer than {k}"
            )
        picks.append(rng.permutation(idx)[:k])
    keep = np.sort(np.concatenate(picks))
    return Split([train.texts[i] for i in keep], train.y[keep])


def load_dataset(cfg: DataConfig, seed: int, min_per_label: int = 1) -> Dataset:
    """Read, check and split the data; every class keeps ``min_per_label`` training examples."""
    files: dict[str, str] = {}
    texts, y, labels, other_labels = _read_train(cfg, files)
    single = y.ndim == 1  # label sets are checked after their cuts (_check_label_floor)
    if single:
        _check_splittable(labels, y, cut_test=cfg.test is None, train_file=cfg.train)
    rng = np.random.default_rng(seed)
    if cfg.test is not None:
        test = _read_test(cfg, labels, files)
        pool = np.arange(len(texts))
        if single:
            _check_test_labels(labels, test, cfg.test)
    else:
        pool, test_idx = _stratified_cut(y, cfg.test_fraction, rng, keep=2)  # train and validation need one each
        test = Split([texts[i] for i in test_idx], y[test_idx])

    kept, val_local = _stratified_cut(y[pool], cfg.validation_fraction, rng)
    train_idx, val_idx = pool[kept], pool[val_local]
    if cfg.max_train is not None and len(train_idx) > cfg.max_train:
        train_idx = train_idx[_stratified_take(y[train_idx], cfg.max_train, rng, floor=max(min_per_label, 2))]

    train = Split([texts[i] for i in train_idx], y[train_idx])
    validation = Split([texts[i] for i in val_idx], y[val_idx])
    train, validation, removed = _drop_overlaps(train, validation, test)
    if cfg.per_label is not None:
        train = _per_label(train, labels, cfg.per_label, np.random.default_rng([seed, cfg.draw, 1]))
    if other_labels:
        removed["other_labels"] = other_labels
    if cfg.multilabel:
        _check_label_floor(labels, {"train": train, "validation": validation, "test": test})
        return Dataset(labels, train, validation, test, files, removed=removed, separator=cfg.label_separator)
    positive = _positive_label(cfg, labels)
    _check_floor(labels, train, validation, min_per_label)
    return Dataset(labels, train, validation, test, files, positive_label=positive, removed=removed)
