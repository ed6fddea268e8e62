"""Error messages never carry record text, even when a mistake turns records into names or labels."""

from __future__ import annotations

import pandas as pd

from sweep.cli import main

from .conftest import DEMO_TRAIN, REPO

DEMO = str(REPO / "conf" / "demo.yaml")


def _reviews(n: int) -> pd.DataFrame:
    df = pd.read_csv(DEMO_TRAIN, sep="\t")
    return df[["review", "rating"]].head(n)


def _run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def test_a_file_without_header_row_does_not_print_its_first_record(capsys, tmp_path):
    df = _reviews(30)
    path = tmp_path / "no_header.csv"
    df.to_csv(path, index=False, header=False)
    first = df["review"].iloc[0]
    code, out = _run(capsys, "run", DEMO, "--set", f"storage={tmp_path}", "--set", f"data.train={path}")
    assert code == 2
    assert f"<{len(first)} characters>" in out and "does the file lack a header row?" in out
    assert first[:30] not in out


OTHER_DATA = ["data.labels=null", "data.positive_label=null"]
"""The demo config's label choice does not apply to another dataset."""


def test_a_text_column_given_as_label_column_does_not_print_records(capsys, tmp_path):
    df = _reviews(60)
    path = tmp_path / "reviews.csv"
    df.to_csv(path, index=False)
    sets = [f"storage={tmp_path}", f"data.train={path}", "data.test=null", "data.max_train=null", *OTHER_DATA]
    sets += ["data.text_column=rating", "data.label_column=review"]
    code, out = _run(capsys, "run", DEMO, *sum((["--set", s] for s in sets), []))
    assert code == 2
    assert "column 'review' has 60 distinct values in 60 rows" in out and "is it the text column?" in out
    assert not [t for t in df["review"] if t[:30] in out]


def test_long_labels_are_shown_by_length_only(capsys, tmp_path):
    long_label = "x" * 30 + " a label that is really a sentence of some record"
    train = pd.DataFrame({"text": [f"text number {i}" for i in range(12)], "label": ["short", long_label] * 6})
    test = pd.DataFrame({"text": ["t"], "label": ["another label that is also much longer than forty characters"]})
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    sets = [f"storage={tmp_path}", f"data.train={tmp_path / 'train.csv'}", f"data.test={tmp_path / 'test.csv'}"]
    sets += ["data.text_column=text", "data.label_column=label", "data.max_train=null", *OTHER_DATA]
    code, out = _run(capsys, "run", DEMO, *sum((["--set", s] for s in sets), []))
    assert code == 2 and "data.test: label <60 characters> does not occur in data.train" in out
    assert "much longer" not in out
