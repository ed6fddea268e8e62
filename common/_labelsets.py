"""How a label set is written (``data.task: multilabel``), for the data and the file backend alike:
a cell's labels, and a set's name as the sweep names its pools. One rule, so a file's rows always
serve the pools the sweep asks for."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def split_label_set(cell: str, separator: str) -> tuple[str, ...]:
    """A cell's labels, stripped, each once, in first-seen order (an empty cell: none)."""
    return tuple(dict.fromkeys(p.strip() for p in cell.split(separator) if p.strip()))


def label_set_name(names: Iterable[str], labels: Sequence[str], separator: str) -> str:
    """A set's name: its labels in the order of ``labels`` (every one of them among ``labels``), joined."""
    order = {lab: i for i, lab in enumerate(labels)}
    return separator.join(sorted(names, key=order.__getitem__))
