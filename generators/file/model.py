"""Serve a file's examples as a generator: the ``index``-th attempt of a label's pool is that label's
``index``-th row, in an order seeded per label; when the rows run out the pool ends.

Temperature and prompts do not apply: a row is served as written, then cleaned and filtered like
any generated text. Messages name the file, columns, labels and row numbers, never a text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common import EXAMPLES_SUFFIXES, label_set_name, shown, split_label_set

from .._prompts import stable_int
from .._types import Completion, GenerationRequest


class ExamplesFileError(ValueError):
    """The examples file cannot be used; the message is one line for the user."""


def _read_table(path: Path):  # -> pandas.DataFrame
    import pandas as pd

    if not path.is_file():
        raise ExamplesFileError(f"file not found: {path.absolute()}")
    suffix = path.suffix.lower()
    if suffix not in EXAMPLES_SUFFIXES:
        raise ExamplesFileError(f"{path} has an unknown format for examples; use .csv, .tsv or .jsonl")
    try:
        if suffix in (".jsonl", ".ndjson"):
            df = pd.read_json(path, lines=True, dtype=False)
        else:
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except Exception as e:  # pandas raises many types; the user needs the file and the reason
        raise ExamplesFileError(f"cannot read {path}: {type(e).__name__}") from None
    if len(df) == 0:
        raise ExamplesFileError(f"{path} has no rows")
    return df


def read_examples(
    path: str | Path, text_column: str, label_column: str, labels: Sequence[str], separator: str | None = None
) -> dict[str, list[str]]:
    """The file's texts by label (every label of ``labels`` a key, in file order), checked:
    both columns present, no row without a label or text, no label outside ``labels``.

    With ``separator`` (label sets), a row's cell may name several labels; it is filed under its
    whole set, its labels in the order of ``labels`` (``anxiety;insomnia``), as a sweep names pools.
    """
    path = Path(path)
    df = _read_table(path)
    for col in (text_column, label_column):
        if col not in df.columns:
            cols = ", ".join(shown(c) for c in list(df.columns)[:12])
            raise ExamplesFileError(f"column {col!r} not in {path} (columns: {cols})")
    raw = df[label_column]
    missing = raw.isna() | (raw.astype(str).str.strip() == "")
    if missing.any():
        raise ExamplesFileError(f"{int(missing.sum())} rows of {path} have no label (first at row {_first(missing)})")
    texts = df[text_column].fillna("").astype(str).str.strip()
    empty = texts.str.len() == 0
    if empty.any():
        raise ExamplesFileError(f"{int(empty.sum())} rows of {path} have empty text (first at row {_first(empty)})")
    found = raw.astype(str).str.strip()
    sets = found.map(lambda cell: split_label_set(cell, separator) if separator is not None else (cell,))
    unknown = sets.map(lambda names: next((n for n in names if n not in labels), None)).dropna()
    if len(unknown):
        classes = ", ".join(shown(lab) for lab in labels)
        raise ExamplesFileError(
            f"label {shown(unknown.iloc[0])} in {path} (row {int(unknown.index[0]) + 1}) is not a class of the data "
            f"(classes: {classes})"
        )
    if separator is not None:
        found = sets.map(lambda names: label_set_name(names, labels, separator))
    keys = list(labels) + [k for k in dict.fromkeys(found) if k not in labels]
    return {key: texts[found == key].tolist() for key in keys}


def _first(mask) -> int:
    return int(np.argmax(mask.to_numpy())) + 1


class FileGenerator:
    """A loaded file of examples; ``generate`` is deterministic for a given request index."""

    device = "cpu"

    def __init__(
        self,
        model_path: str,
        text_column: str,
        label_column: str,
        labels: Sequence[str],
        seed: int = 0,
        label_separator: str | None = None,
    ):
        by_label = read_examples(model_path, text_column, label_column, labels, label_separator)
        self._rows: dict[str, list[str]] = {}
        for lab, texts in by_label.items():
            order = np.random.default_rng(stable_int(seed, "file", lab, bits=63)).permutation(len(texts))
            self._rows[lab] = [texts[i] for i in order]

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        out = []
        for r in requests:
            rows = self._rows.get(r.label, [])
            out.append(Completion(rows[r.index]) if r.index < len(rows) else Completion("", exhausted=True))
        return out
