"""Tables fit the terminal: constant columns named above, headers and ids never cut, cells fold."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from sweep.outputs import Column, FittedTable

HEADERS = [
    "#",
    "state",
    "generator",
    "temperature",
    "n_synthetic",
    "real_ratio",
    "val AUC",
    "epoch",
    "val F1",
    "generated",
    "cached",
    "time s",
]


def _render(renderable, width: int) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(renderable, crop=False)
    return buf.getvalue()


def _trials(n=8, generator="default", state="TERMINATED"):
    cols = ["#", Column("state", may_drop=True), Column("generator", may_drop=True), *HEADERS[3:]]
    rows = [
        [str(i), state, generator, "0.7", str(6 * i), "0.80", "0.551", "27", "0.353", "36", "0", "122.3"]
        for i in range(1, n + 1)
    ]
    return cols, rows


def _header_words(out: str) -> set[str]:
    return set(re.findall(r"[\w.]+", out.split("─", 1)[0]))


def test_a_column_with_one_value_is_left_out_and_named_above():
    cols, rows = _trials()
    rows[2][1] = "ERROR"
    out = _render(FittedTable(cols, rows, title="trials of demo"), 100)
    assert out.splitlines()[0] == "same on every row: generator default"
    assert "default" not in out.split("\n", 1)[1]
    assert "ERROR" in out and "TERMINATED" in out  # state differs: kept


def test_one_row_keeps_every_column():
    cols, rows = _trials(n=1)
    assert "same on every row" not in _render(FittedTable(cols, rows), 120)


@pytest.mark.parametrize("width", [100, 120])
def test_at_100_columns_nothing_is_cut(width):
    cols, rows = _trials()
    rows[2][1] = "ERROR"
    out = _render(FittedTable(cols, rows), width)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= width
    assert {"temperature", "n_synthetic", "real_ratio", "generated", "cached", "AUC", "F1", "TERMINATED"} <= set(
        re.findall(r"[\w.]+", out)
    )


def test_narrow_terminal_folds_headers_at_spaces_and_underscores_never_inside_a_word():
    cols, rows = _trials(state="RUNNING")
    rows[0][1] = "TERMINATED"
    out = _render(FittedTable(cols, rows), 80)
    assert "…" not in out
    head = out.split("─", 1)[0]
    for word in ("temperature", "synthetic", "generated", "cached"):
        assert word in head, head
    for number in ("122.3", "0.551", "0.353"):
        assert number in out  # numbers are never folded


def test_key_columns_are_never_shortened_even_when_too_narrow():
    cols = ["#", Column("trial", key=True), "state", *HEADERS[3:7]]
    rows = [[str(i), f"{i:08x}", "TERMINATED", "0.7", "12", "0.80", "0.544"] for i in range(1, 4)]
    for width in (80, 40):
        out = _render(FittedTable(cols, rows), width)
        for i in range(1, 4):
            assert f"{i:08x}" in out
        assert "…" not in out


def test_a_narrow_table_wraps_states_and_intervals_at_spaces_never_inside_a_word():
    cols = ["#", Column("state", whole_words=True), "val AUC ± SD", "Δ AUC [95% CI]", "epochs"]
    rows = [
        [str(i), state, "0.711 ± 0.003", "+0.021 [-0.010, +0.052]", "30/30"]
        for i, state in enumerate(["TERMINATED", "RUNNING (1 failed)"], 1)
    ]
    out = _render(FittedTable(cols, rows), 30)
    words = set(out.split())
    assert {"TERMINATED", "RUNNING", "failed)", "0.711", "0.003", "+0.021", "[-0.010,", "+0.052]"} <= words, out


def test_long_word_cells_fold_rather_than_end_in_an_ellipsis():
    name = "a-very-long-generator-name-indeed"
    out = _render(FittedTable(["#", "generator"], [["1", name]]), 20)
    assert "…" not in out
    cell_lines = out.split("─")[-1].strip().splitlines()
    assert len(cell_lines) > 1
    assert "".join(line.split()[-1] for line in cell_lines) == name


def test_the_summary_of_a_one_generator_sweep_fits_100_columns(tmp_path):
    from sweep.outputs import print_summary
    from sweep.rundir import read_trials

    from .fakes import fake_entry, fake_summary, fake_verdict
    from .fakes import fake_trial_dir as _trial_dir

    for i in range(1, 9):
        _trial_dir(tmp_path, f"{i:08x}", i, [1, 2, 3])
    records = read_trials(tmp_path)
    summary = fake_summary(
        run_dir="runs/demo",
        best=fake_entry(records[0].trial_id, 2),
        baseline=fake_entry(records[1].trial_id, 1),
        synthetic={"generated": 1, "from_cache": 2, "rejected": 0, "rejected_by_reason": {}, "pools": {}},
        verdict=fake_verdict(),
    )
    for r in records:
        r.params["generator"] = "default"
    buf = io.StringIO()
    print_summary(summary, records, console=Console(file=buf, width=100, color_system=None))
    out = buf.getvalue()
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 100
    dropped = out.split("same on every row: ", 1)[1].splitlines()[0]
    assert "generator default" in dropped
    for header in ("temperature", "n_synthetic", "real share", "val AUC", "generated", "cached", "time s"):
        assert header in out
    # The verdict table fits too.
    for header in ("test AUC", "Δ AUC", "conclusion", "negative P", "negative R"):
        assert header in out
    assert "no evidence" in out and "[-0.048, +0.006]" in out
