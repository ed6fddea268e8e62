"""Clinician review of synthetic examples: export a sample, score the reviewer's labels.

``export``: a label-stratified, seeded random sample of the synthetic examples the run trained
on (the union over its trials' kept checkpoints: the best trial may be the no-augmentation
baseline, which trained on none). Columns: ``id`` (stable: a hash of label and text),
``intended_label`` (the label the example was generated for), ``text`` (synthetic; never a real
record) and an empty ``reviewer_label``.

``score``: label accuracy overall and per intended label with 95% Wilson score intervals, as in
the 140-pair clinician check of Woolsey et al. (83% correct). Rows with no reviewer label are
skipped and counted.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import UserError, sha256_text, write_text_atomic

from ..rundir import read_trials
from ._audit import synthetic_examples

COLUMNS = ("id", "intended_label", "text", "reviewer_label")


def wilson_interval(correct: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy's; stays inside [0, 1], works at 0 or n correct)."""
    if n == 0:
        return (math.nan, math.nan)
    from scipy.stats import binomtest

    ci = binomtest(correct, n).proportion_ci(confidence_level=level, method="wilson")
    return (float(ci.low), float(ci.high))


def stratified_counts(available: dict[str, int], n: int) -> dict[str, int]:
    """Split ``n`` as evenly as possible across labels (sorted), capped by what each label has."""
    from generators import split_counts

    labels = sorted(available)
    return split_counts(n, dict.fromkeys(labels, 1.0), {lab: available[lab] for lab in labels})


def sample_for_review(examples: list[tuple[str, str]], n: int, seed: int) -> list[dict[str, str]]:
    """Rows of the review sheet: stratified by label, then shuffled so labels do not come in blocks."""
    by_label: dict[str, list[str]] = {}
    for label, text in examples:
        by_label.setdefault(label, []).append(text)
    counts = stratified_counts({lab: len(t) for lab, t in by_label.items()}, n)
    rng = np.random.default_rng(seed)
    rows = []
    for label in sorted(by_label):
        texts = by_label[label]
        for i in sorted(rng.choice(len(texts), size=counts[label], replace=False).tolist()):
            text = texts[i]
            rows.append(
                {
                    "id": sha256_text(f"{label}\x1f{text}")[:12],
                    "intended_label": label,
                    "text": text,
                    "reviewer_label": "",
                }
            )
    return [rows[i] for i in rng.permutation(len(rows))]


def export_review(run_dir: Path, n: int, out: Path, seed: int = 0, force: bool = False) -> list[dict[str, str]]:
    if n < 1:
        raise UserError("--n must be at least 1")
    if not run_dir.is_dir():
        raise UserError(f"run directory not found: {run_dir}")
    if out.exists() and not force:
        # A review sheet may hold hours of a clinician's work.
        raise UserError(f"{out} exists; choose another --out or pass --force to replace it")
    records = read_trials(run_dir)
    if not records:
        raise UserError(f"{run_dir} has no trial results")
    examples = synthetic_examples(records)
    if not examples:
        raise UserError(f"{run_dir}: no trial trained on synthetic examples (no checkpoint holds any)")
    rows = sample_for_review(examples, n, seed)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out, buf.getvalue())
    return rows


@dataclass(frozen=True)
class Score:
    label: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n)

    def to_dict(self) -> dict:
        lo, hi = self.interval
        return {"n": self.n, "correct": self.correct, "accuracy": self.accuracy, "ci95": [lo, hi]}


@dataclass(frozen=True)
class ReviewScore:
    overall: Score
    per_label: list[Score]
    skipped: int
    """Rows without a reviewer label."""
    other_labels: int
    """Reviewed rows whose reviewer label is none of the intended labels (typos count as wrong)."""


def _norm(label: str) -> str:
    return " ".join(label.split()).casefold()


def score_review(path: Path) -> ReviewScore:
    if not path.is_file():
        raise UserError(f"review file not found: {path}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in ("intended_label", "reviewer_label") if c not in header]
            if missing:
                raise UserError(f"{path}: missing column {missing[0]!r} (expected columns: {', '.join(COLUMNS)})")
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as e:
        raise UserError(f"{path} is not a readable CSV file ({type(e).__name__})") from None
    known = {_norm(r["intended_label"] or "") for r in rows}
    tally: dict[str, list[int]] = {}
    skipped = other = 0
    for i, r in enumerate(rows, start=2):  # row 1 is the header
        intended = (r.get("intended_label") or "").strip()
        given = (r.get("reviewer_label") or "").strip()
        if not intended:
            raise UserError(f"{path}: row {i} has no intended_label")
        if not given:
            skipped += 1
            continue
        other += _norm(given) not in known
        t = tally.setdefault(intended, [0, 0])
        t[0] += 1
        t[1] += _norm(given) == _norm(intended)
    if not tally:
        raise UserError(f"{path}: no row has a reviewer_label yet ({skipped} rows to review)")
    per_label = [Score(lab, n, c) for lab, (n, c) in sorted(tally.items())]
    overall = Score("all", sum(s.n for s in per_label), sum(s.correct for s in per_label))
    return ReviewScore(overall, per_label, skipped, other)
