"""Tables that fit the terminal, for every table synthsweep prints.

- A column holding one value on every row (a single generator, every trial ``TERMINATED``) is
  left out and named on a line above the table, where it takes no width.
- A header is never cut: it may wrap at its spaces, never inside a word.
- A number is never cut or folded; a word cell (a generator name) folds onto a second line
  rather than ending in ``…``; a state wraps only at its spaces; a key column (a trial id,
  which ``export --trial`` takes) is never folded or shortened.

Widths are chosen when the table is drawn, for the width it gets. A terminal narrower than the
headers' longest words gets a table wider than itself, which it wraps: nothing is hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "FittedTable"]

_GAP = 2
"""Characters between two columns: a space for the (invisible) rule and one of padding."""
_NUMBER = re.compile(r"[-+]?[\d.,/%]+|-")


@dataclass(frozen=True)
class Column:
    header: str
    justify: Literal["left", "center", "right"] = "right"
    key: bool = False
    """An identifier the user types back (a trial id): never folded, never shortened."""
    may_drop: bool = False
    """Left out, and named above the table, when every row (two or more) holds the same value."""
    whole_words: bool = False
    """Cells wrap at their spaces, never inside a word (a state: ``TERMI``/``NATED`` reads as noise)."""


class FittedTable:
    """``rows`` of cells (rich markup) under ``columns``, laid out as the module says."""

    def __init__(
        self,
        columns: Sequence[Column | str],
        rows: Sequence[Sequence[str]],
        *,
        title: str | None = None,
        row_styles: Sequence[str | None] | None = None,
    ):
        cols = [c if isinstance(c, Column) else Column(c) for c in columns]
        plain = [[Text.from_markup(cell).plain for cell in row] for row in rows]
        self.same = {
            c.header: plain[0][i]
            for i, c in enumerate(cols)
            if c.may_drop and len(rows) > 1 and len({row[i] for row in plain}) == 1
        }
        shown = [i for i, c in enumerate(cols) if c.header not in self.same]
        self.columns = [cols[i] for i in shown]
        self.rows = [[row[i] for i in shown] for row in rows]
        self._plain = [[row[i] for i in shown] for row in plain]
        self.title = title
        self.row_styles = list(row_styles) if row_styles else [None] * len(rows)

    @property
    def note(self) -> str | None:
        """The line above the table naming the columns left out, or None."""
        if not self.same:
            return None
        return "same on every row: " + ", ".join(f"{k} {v}" for k, v in self.same.items())

    def widths(self, max_width: int) -> list[int]:
        """Each column's width: natural if the table fits, else narrowed in steps, each only as far as needed.

        First headers wrap at their spaces, then at their underscores (``n_`` over ``synthetic``),
        then word cells fold; numbers and key columns keep their width.
        """
        natural, floors = [], []
        for i, c in enumerate(self.columns):
            cells = [row[i] for row in self._plain]
            longest = max((len(s) for s in cells), default=0)
            natural.append(max(len(c.header), longest))
            if c.key:
                floors.append((natural[-1],) * 3)
                continue
            numbers = max((len(w) for w in _unbreakable(cells, c.whole_words)), default=1)
            words = max((len(w) for w in c.header.split()), default=0)
            parts = max((len(p) for p in _header_parts(c.header)), default=0)
            floors.append((max(words, longest), max(parts, longest), max(parts, numbers)))
        widths = list(natural)
        budget = max_width - _GAP * (len(widths) - 1)
        for step in range(3):
            while sum(widths) > budget:
                over = [i for i in range(len(widths)) if widths[i] > floors[i][step]]
                if not over:
                    break
                widest = max(over, key=lambda i: widths[i] - floors[i][step])
                widths[widest] -= 1
        return widths

    def table(self, max_width: int) -> Table:
        table = Table(
            title=self.title,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 0, 0, 1),
        )
        for c, w in zip(self.columns, self.widths(max_width)):
            header = c.header
            if any(len(word) > w for word in header.split()):
                header = " ".join(_header_parts(header))  # wraps after an underscore, never inside a part
            if c.key:
                table.add_column(header, justify=c.justify, width=w, no_wrap=True)
            else:
                table.add_column(header, justify=c.justify, width=w, overflow="fold")
        for row, style in zip(self.rows, self.row_styles):
            table.add_row(*row, style=style)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.note:
            yield Text(self.note)
        widths = self.widths(options.max_width)
        needed = sum(widths) + _GAP * (len(widths) - 1)
        table = self.table(options.max_width)
        if needed <= options.max_width:
            yield table
        else:  # wider than the terminal even folded: draw it whole and let the terminal wrap it
            yield from _unclipped(console, table, options.update_width(needed))


def _unbreakable(cells: list[str], whole_words: bool) -> Iterator[str]:
    """The pieces of ``cells`` a fold must not split: numbers (``0.711`` of ``0.711 ± 0.003``,
    ``[-0.010,``), and every word where the column keeps words whole."""
    for cell in cells:
        for word in cell.split():
            if whole_words or _NUMBER.fullmatch(word.strip("[](),")):
                yield word


def _header_parts(header: str) -> list[str]:
    """``n_synthetic`` -> ``n_``, ``synthetic``: where a header may wrap besides its spaces."""
    return [p for word in header.split() for p in re.findall(r"[^_]+_*|_+", word)]


def _unclipped(console: Console, table: Table, options: ConsoleOptions) -> Iterator[Segment]:
    for line in console.render_lines(table, options, pad=False):
        yield from line
        yield Segment.line()
