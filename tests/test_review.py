"""Clinician review: Wilson intervals, stratified seeded export, scoring and its bad-input paths."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from sweep.cli import main
from sweep.outputs._review import stratified_counts, wilson_interval

from .fakes import fake_run


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err.strip()


def test_wilson_interval_known_values():
    # The clinician check of Woolsey et al.: 116 of 140 pairs correct (83%).
    lo, hi = wilson_interval(116, 140)
    assert 116 / 140 == pytest.approx(0.829, abs=5e-4)
    assert lo == pytest.approx(0.7576, abs=5e-4) and hi == pytest.approx(0.8820, abs=5e-4)
    # Edge cases stay inside [0, 1] (the Wald interval would collapse to a point).
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=5e-4)
    assert wilson_interval(0, 10)[0] == 0.0
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=5e-4) and hi == pytest.approx(0.7634, abs=5e-4)


def test_stratified_counts_split_evenly_and_pass_on_shortfalls():
    assert stratified_counts({"a": 100, "b": 100, "c": 100}, 140) == {"a": 47, "b": 47, "c": 46}
    assert stratified_counts({"a": 10, "b": 100, "c": 100}, 140) == {"a": 10, "b": 65, "c": 65}
    assert stratified_counts({"a": 3, "b": 4}, 140) == {"a": 3, "b": 4}


@pytest.fixture
def run_dir(tmp_path):
    trials = [
        [
            (lab, f"{lab} synthetic example {i} from trial one")
            for lab in ("negative", "neutral", "positive")
            for i in range(40)
        ],
        [("positive", f"positive synthetic example {i} from trial one") for i in range(10)]  # repeats: counted once
        + [("neutral", f"neutral synthetic example {i} from trial two") for i in range(20)],
    ]
    fake_run(tmp_path / "run", trials)
    return tmp_path / "run"


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_export_is_stratified_seeded_and_holds_no_reviewer_labels(capsys, run_dir, tmp_path):
    out = tmp_path / "review.csv"
    code, _, err = _run(capsys, "review", "export", run_dir, "--n", 90, "--out", out)
    assert code == 0, err
    rows = _read(out)
    assert list(rows[0]) == ["id", "intended_label", "text", "reviewer_label"]
    assert Counter(r["intended_label"] for r in rows) == {"negative": 30, "neutral": 30, "positive": 30}
    assert all(r["reviewer_label"] == "" for r in rows)
    assert len({r["id"] for r in rows}) == 90
    assert [r["intended_label"] for r in rows] != sorted(r["intended_label"] for r in rows), "shuffled"
    assert "wrote 90 synthetic examples (negative 30, neutral 30, positive 30)" in err
    # Drawn from the union of the trials: trial two's examples are eligible.
    again = tmp_path / "again.csv"
    assert _run(capsys, "review", "export", run_dir, "--n", 90, "--out", again)[0] == 0
    assert _read(again) == rows, "same seed, same sample"
    other = tmp_path / "other.csv"
    assert _run(capsys, "review", "export", run_dir, "--n", 90, "--out", other, "--seed", 1)[0] == 0
    assert {r["id"] for r in _read(other)} != {r["id"] for r in rows}
    union = {r["text"] for r in _read(other)} | {r["text"] for r in rows}
    assert any("trial two" in t for t in union)


def test_export_refuses_to_overwrite_and_bad_run_dirs(capsys, run_dir, tmp_path):
    out = tmp_path / "review.csv"
    out.write_text("a clinician's work\n")
    code, _, err = _run(capsys, "review", "export", run_dir, "--out", out)
    assert code == 2 and err == f"error: {out} exists; choose another --out or pass --force to replace it"
    assert out.read_text() == "a clinician's work\n"
    code, _, err = _run(capsys, "review", "export", tmp_path / "nope", "--out", tmp_path / "x.csv")
    assert code == 2 and err == f"error: run directory not found: {tmp_path / 'nope'}"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _run(capsys, "review", "export", empty, "--out", tmp_path / "x.csv")
    assert code == 2 and "has no trial results" in err
    assert not (tmp_path / "x.csv").exists()


def _sheet(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "intended_label", "text", "reviewer_label"])
        w.writerows(rows)


def test_score_reports_accuracy_with_wilson_intervals(capsys, tmp_path):
    path = tmp_path / "review.csv"
    rows = []
    for i in range(70):  # positive: 60 of 70 correct
        rows.append([f"p{i}", "positive", "t", "positive" if i < 60 else "negative"])
    for i in range(70):  # negative: 56 of 70 correct, one written with other case and spaces
        rows.append([f"n{i}", "negative", "t", ("  Negative " if i == 0 else "negative") if i < 56 else "neutral"])
    rows += [[f"u{i}", "negative", "t", ""] for i in range(5)]  # not reviewed yet
    _sheet(path, rows)
    code, out, err = _run(capsys, "review", "score", path)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["label", "reviewed", "correct", "accuracy", "95%", "CI", "(Wilson)"]
    assert lines[1].split() == ["negative", "70", "56", "0.800", "[0.692,", "0.877]"]
    assert lines[2].split() == ["positive", "70", "60", "0.857", "[0.757,", "0.921]"]
    assert lines[3].split() == ["all", "140", "116", "0.829", "[0.758,", "0.882]"]
    assert "skipped 5 rows without a reviewer_label" in out
    # 'neutral' is none of the intended labels in this sheet: counted wrong, and said so.
    assert "note: 14 reviewer labels are none of the intended labels" in out


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "review file not found"),
        ("id,label,text\n1,a,b\n", "missing column 'intended_label'"),
        (
            "id,intended_label,text,reviewer_label\n1,a,b,\n2,a,c,\n",
            "no row has a reviewer_label yet (2 rows to review)",
        ),
        ("id,intended_label,text,reviewer_label\n1,,b,a\n", "row 2 has no intended_label"),
        (b"\xff\xfe\x00garbage\x00", "is not a readable CSV file"),
    ],
)
def test_score_bad_files_get_one_line_and_exit_2(capsys, tmp_path, content, message):
    path = tmp_path / "review.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, _, err = _run(capsys, "review", "score", path)
    assert code == 2
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1, err
