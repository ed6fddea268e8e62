"""Load and split the user's labelled text data, with one-line errors for bad input.

Errors name files, columns, labels and row numbers, never the text itself: the text may be
patient data and must not reach logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import UserError
from ._hashing import sha256_file
from .config import DataConfig

__all__ = ["Dataset", "Split", "load_dataset", "read_table", "shown"]

_READERS = {
    ".csv": lambda p: pd.read_csv(p),
    ".tsv": lambda p: pd.read_csv(p, sep="\t"),
    ".jsonl": lambda p: pd.read_json(p, lines=True),
    ".ndjson": lambda p: pd.read_json(p, lines=True),
    ".json": lambda p: pd.read_json(p),
    ".parquet": lambda p: pd.read_parquet(p),
    ".pq": lambda p: pd.read_parquet(p),
}


@dataclass(frozen=True)
class Split:
    """Texts and integer labels (indices into ``Dataset.labels``)."""

    texts: list[str]
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def by_label(self, label_index: int) -> list[str]:
        return [t for t, y in zip(self.texts, self.y) if y == label_index]


@dataclass(frozen=True)
class Dataset:
    labels: list[str]
    """Class names, sorted; a label's index is its class id."""
    train: Split
    validation: Split
    test: Split
    files: dict[str, str]
    """Data file path -> sha256, for provenance."""

    @property
    def num_labels(self) -> int:
        return len(self.labels)


_SHOWN_CHARS = 40


def shown(value: object, quote: bool = True) -> str:
    """A column name or label as error messages show it.

    A long one may be record text (a file without a header row turns its first record into
    column names; a text column given as the label column turns records into labels), so only
    its length is shown.
    """
    s = str(value)
    if len(s) > _SHOWN_CHARS:
        return f"<{len(s)} characters>"
    return repr(s) if quote else s


def read_table(path: Path, key: str) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"{key}: file not found: {path.absolute()}")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UserError(f"{key}: {path} has an unknown format; use .csv, .tsv, .jsonl or .parquet")
    try:
        df = reader(path)
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
            hint = "; does the file lack a header row?" if any(len(n) > _SHOWN_CHARS for n in names) else ""
            raise UserError(f"{col_key}: column {col!r} not in {path} (columns: {cols}){hint}")
    texts = df[cfg.text_column]
    labels = df[cfg.label_column]
    missing = labels.isna()
    if missing.any():
        raise UserError(
            f"{key}: {int(missing.sum())} rows of {path} have no label (first at row {int(np.argmax(missing)) + 1})"
        )
    clean = texts.fillna("").astype(str).str.strip()
    empty = clean.str.len() == 0
    if empty.any():
        raise UserError(
            f"{key}: {int(empty.sum())} rows of {path} have empty text (first at row {int(np.argmax(empty)) + 1})"
        )
    return clean.tolist(), labels.astype(str).str.strip().tolist()


def _stratified_cut(y: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, cut): ``fraction`` of every class is cut, at least one per class with 2+ rows."""
    kept, cut = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_cut = int(round(len(idx) * fraction))
        if len(idx) >= 2:
            n_cut = min(max(n_cut, 1), len(idx) - 1)
        else:
            n_cut = 0
        cut.extend(idx[:n_cut])
        kept.extend(idx[n_cut:])
    return np.sort(np.array(kept, dtype=int)), np.sort(np.array(cut, dtype=int))


def _stratified_take(y: np.ndarray, n: int, rng: np.random.Generator, floor: int) -> np.ndarray:
    """About ``n`` indices in class proportion, but at least ``floor`` of every class (if it has them)."""
    if n >= len(y):
        return np.arange(len(y))
    classes, counts = np.unique(y, return_counts=True)
    want = np.maximum(np.round(counts * n / len(y)).astype(int), np.minimum(floor, counts))
    while want.sum() > n and (want > np.minimum(floor, counts)).any():
        want[np.argmax(want - np.minimum(floor, counts))] -= 1  # trim the largest class first
    taken = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, want)]
    return np.sort(np.concatenate(taken))


def load_dataset(cfg: DataConfig, seed: int, min_per_label: int = 1) -> Dataset:
    """Read, check and split the data; every class keeps ``min_per_label`` training examples."""
    files = {}
    texts, raw_labels = _texts_and_labels(read_table(cfg.train, "data.train"), cfg, "data.train", cfg.train)
    files[str(cfg.train)] = sha256_file(cfg.train)
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
    y = np.array([index[lab] for lab in raw_labels])
    rng = np.random.default_rng(seed)

    if cfg.test is not None:
        test_texts, test_raw = _texts_and_labels(read_table(cfg.test, "data.test"), cfg, "data.test", cfg.test)
        files[str(cfg.test)] = sha256_file(cfg.test)
        unknown = sorted(set(test_raw) - set(labels))
        if unknown:
            raise UserError(f"data.test: label {shown(unknown[0])} does not occur in data.train")
        test = Split(test_texts, np.array([index[lab] for lab in test_raw]))
        pool = np.arange(len(texts))
    else:
        pool, test_idx = _stratified_cut(y, cfg.test_fraction, rng)
        test = Split([texts[i] for i in test_idx], y[test_idx])

    kept, val_local = _stratified_cut(y[pool], cfg.validation_fraction, rng)
    train_idx, val_idx = pool[kept], pool[val_local]
    if cfg.max_train is not None and len(train_idx) > cfg.max_train:
        train_idx = train_idx[_stratified_take(y[train_idx], cfg.max_train, rng, floor=max(min_per_label, 2))]

    train = Split([texts[i] for i in train_idx], y[train_idx])
    validation = Split([texts[i] for i in val_idx], y[val_idx])
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
    return Dataset(labels=labels, train=train, validation=validation, test=test, files=files)
