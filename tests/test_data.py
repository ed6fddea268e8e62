from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sweep import UserError
from sweep.config import DataConfig
from sweep.inputs import load_dataset


def _cfg(path, **kw):
    return DataConfig(train=path, text_column="note", label_column="outcome", **kw)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_formats_and_stratified_splits(small_csv, tmp_path, fmt):
    df = pd.read_csv(small_csv)
    path = tmp_path / f"d.{fmt}"
    {
        "csv": lambda: df.to_csv(path, index=False),
        "tsv": lambda: df.to_csv(path, sep="\t", index=False),
        "jsonl": lambda: df.to_json(path, orient="records", lines=True),
        "parquet": lambda: df.to_parquet(path),
    }[fmt]()
    ds = load_dataset(_cfg(path, validation_fraction=0.25, test_fraction=0.25), seed=1)
    assert ds.labels == ["negative", "neutral", "positive"]
    assert len(ds.train) + len(ds.validation) + len(ds.test) == len(df)
    for split in (ds.train, ds.validation, ds.test):
        assert set(split.y.tolist()) == {0, 1, 2}
    assert not set(ds.test.texts) & set(ds.train.texts)
    assert not set(ds.validation.texts) & set(ds.train.texts)


def test_split_is_seeded(small_csv):
    a = load_dataset(_cfg(small_csv), seed=3)
    b = load_dataset(_cfg(small_csv), seed=3)
    c = load_dataset(_cfg(small_csv), seed=4)
    assert a.test.texts == b.test.texts
    assert a.test.texts != c.test.texts


def test_max_train_keeps_every_class(small_csv):
    ds = load_dataset(_cfg(small_csv, max_train=9), seed=0)
    assert len(ds.train) == 9
    assert np.bincount(ds.train.y).tolist() == [3, 3, 3]


def test_separate_test_file(small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    test = tmp_path / "t.csv"
    df.sort_values("outcome").groupby("outcome").head(4).head(10).to_csv(test, index=False)  # every label
    ds = load_dataset(_cfg(small_csv, test=test), seed=0)
    assert len(ds.test) == 10
    # The 10 test rows are also in the training file: removed from train and validation, and counted.
    removed = ds.removed["overlap_train"] + ds.removed["overlap_validation"]
    assert removed == 10
    assert len(ds.train) + len(ds.validation) + removed == len(df)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda df: df.drop(columns=["note"]), r"data\.text_column: column 'note' not in"),
        (lambda df: df.drop(columns=["outcome"]), r"data\.label_column: column 'outcome' not in"),
        (lambda df: df.assign(outcome="positive"), r"at least two are needed"),
        (lambda df: df.assign(note=[""] + df.note.tolist()[1:]), r"empty text \(first at row 1\)"),
        (
            lambda df: (
                df[df.outcome != "neutral"]
                .iloc[:-1]
                .pipe(lambda d: pd.concat([d, pd.DataFrame({"note": ["a b c"], "outcome": ["neutral"]})]))
            ),
            r"data\.train: label 'neutral' has 1 example in bad\.csv; each of train, validation and test needs one",
        ),
    ],
)
def test_bad_data_gets_one_clear_line(small_csv, tmp_path, mutate, message):
    df = mutate(pd.read_csv(small_csv))
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(UserError, match=message) as err:
        load_dataset(_cfg(path), seed=0, min_per_label=3)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match=r"data\.train: file not found"):
        load_dataset(_cfg(tmp_path / "nope.csv"), seed=0)


def test_error_never_quotes_record_text(small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    secret = "Patient John Smith MRN 12345"
    df.loc[len(df)] = [secret, None]
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(UserError) as err:
        load_dataset(_cfg(path), seed=0)
    assert "John" not in str(err.value)
    json.dumps(str(err.value))


def test_texts_shared_between_splits_leave_train_and_validation(small_csv, tmp_path):
    df = pd.read_csv(small_csv)
    test = tmp_path / "t.csv"
    # Three test rows that occur in the training file with other spacing and case.
    shared = df.head(3).copy()
    shared["note"] = "  " + shared["note"].str.upper().str.replace(" ", "   ") + " "
    pd.concat([shared, df.tail(5)]).to_csv(test, index=False)
    ds = load_dataset(_cfg(small_csv, test=test), seed=0)
    norm = {" ".join(t.split()).casefold() for t in ds.test.texts}
    assert not [t for t in ds.train.texts + ds.validation.texts if " ".join(t.split()).casefold() in norm]
    assert ds.removed["overlap_train"] + ds.removed["overlap_validation"] == 8  # 3 re-spaced + 5 verbatim


def test_labels_keep_some_classes_and_name_the_positive_one(small_csv):
    ds = load_dataset(_cfg(small_csv, labels=["negative", "positive"]), seed=0)
    assert ds.labels == ["negative", "positive"] and ds.removed["other_labels"] == 20
    assert ds.positive_label == "positive", "default: the second label in sorted order"
    ds = load_dataset(_cfg(small_csv, labels=["negative", "positive"], positive_label="negative"), seed=0)
    assert ds.positive == 0
    with pytest.raises(UserError, match="data.positive_label: 'neutral' is not a label"):
        load_dataset(_cfg(small_csv, labels=["negative", "positive"], positive_label="neutral"), seed=0)
    with pytest.raises(UserError, match="data.positive_label: only for two classes"):
        load_dataset(_cfg(small_csv, positive_label="neutral"), seed=0)
    with pytest.raises(UserError, match="data.labels: label 'great' does not occur"):
        load_dataset(_cfg(small_csv, labels=["negative", "great"]), seed=0)
