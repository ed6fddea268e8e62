"""The verdict sees a lift that is really there, and claims none where there is none.

Positive control: real labelled reviews held out from every split are handed to a sweep as a `file`
generator's "synthetic" examples, beside a small real training split. More real data is a real
lift, so the verdict must conclude `better`, with an interval above 0 and a worth in real labels
above 0. Negative control: the same file with its labels shuffled must not conclude `better`.
Both run on the demo data and on another dataset given by config keys alone (both review
files pooled and resplit: other columns, labels and format); real Ray, real
Optuna, the bundled encoder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sweep import load_config, run_sweep

from .conftest import REPO

pytestmark = pytest.mark.integration

DEMO = REPO / "conf" / "demo.yaml"
DATA = REPO / "data"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _reviews(files: list[str]) -> pd.DataFrame:
    """The drug reviews of ``files``, each text once, 40 to 1200 characters (the filters keep them)."""
    df = pd.concat([pd.read_csv(DATA / f, sep="\t", index_col=0) for f in files], ignore_index=True)
    df["key"] = df["review"].map(_norm)
    df = df.drop_duplicates("key")
    return df[df["review"].str.len().between(40, 1200)]


def _take(df: pd.DataFrame, column: str, per_label: int, rng: np.random.Generator) -> pd.DataFrame:
    """Up to ``per_label`` random rows of each label."""
    picks = [
        rng.permutation(np.flatnonzero(df[column].to_numpy() == lab))[:per_label] for lab in sorted(df[column].unique())
    ]
    return df.iloc[np.sort(np.concatenate(picks))]


def _shuffled(df: pd.DataFrame, column: str, rng: np.random.Generator) -> pd.DataFrame:
    out = df.copy()
    out[column] = rng.permutation(out[column].to_numpy())
    return out


def _control_inputs(tmp_path: Path, name: str) -> tuple[dict[str, str], Path, Path]:
    """(config overrides, held-out file, its label-shuffled copy) for the demo data or another question."""
    rng = np.random.default_rng(7)
    if name == "demo":
        df = _reviews(["drugsComTrain.tsv"])
        df = df[df["rating"].isin(["negative", "positive"])]
        train = _take(df, "rating", 20, rng)
        held = _take(df[~df["key"].isin(train["key"])], "rating", 120, rng)
        train[["review", "rating"]].to_csv(tmp_path / "train.tsv", sep="\t", index=False)
        columns = {"data.test": str(DATA / "drugsComTest.tsv")}  # the demo's own test file, 343 texts
        text, label, suffix = "review", "rating", ".tsv"
    else:  # both review files pooled and resplit, as JSONL with other column names and labels: keys only
        df = _reviews(["drugsComTrain.tsv", "drugsComTest.tsv"]).rename(columns={"review": "note"})
        df = df[df["rating"] != "neutral"]
        df["outcome"] = np.where(df["rating"] == "positive", "good", "poor")
        train = _take(df, "outcome", 20, rng)
        held = _take(df[~df["key"].isin(train["key"])], "outcome", 100, rng)
        test = _take(df[~df["key"].isin(pd.concat([train, held])["key"])], "outcome", 130, rng)
        train[["note", "outcome"]].to_json(tmp_path / "train.jsonl", orient="records", lines=True)
        test[["note", "outcome"]].to_json(tmp_path / "test.jsonl", orient="records", lines=True)
        columns = {
            "data.test": str(tmp_path / "test.jsonl"),
            "data.text_column": "note",
            "data.label_column": "outcome",
            "data.labels": "null",
            "data.positive_label": "poor",
        }
        text, label, suffix = "note", "outcome", ".jsonl"
    held_path, shuffled_path = tmp_path / f"held_out{suffix}", tmp_path / f"shuffled{suffix}"
    for frame, path in ((held, held_path), (_shuffled(held, label, rng), shuffled_path)):
        if suffix == ".jsonl":
            frame[[text, label]].to_json(path, orient="records", lines=True)
        else:
            frame[[text, label]].to_csv(path, sep="\t", index=False)
    return {"data.train": str(tmp_path / f"train{suffix}"), **columns}, held_path, shuffled_path


def _overrides(tmp_path: Path, data: dict[str, str], file: Path, name: str, n_max: int) -> list[str]:
    over = {
        "name": name,
        "storage": str(tmp_path / "runs"),  # both controls share the feature cache: the same texts
        **data,
        "data.validation_fraction": 0.5,
        "data.max_train": "null",
        "generator.backend": "file",
        "generator.model": str(file),
        "search.num_samples": 4,
        "search.n_synthetic": f"[{n_max * 3 // 4}, {n_max}]",
        "search.n_synthetic_step": 12,
        # Real and "synthetic" examples are alike here, so about equal weight per example (a real share
        # near 0.1) is right. The range is narrow so that the control tests the verdict, not the
        # search's luck in 4 trials on 10 validation texts per label.
        "search.real_ratio": "[0.1, 0.2]",
        "classifier.epochs": 20,
        "eval.repeats": 2,
        "eval.verdict_seeds": 3,
        "eval.bootstrap": 1000,
    }
    return [f"{k}={v}" for k, v in over.items()]


@pytest.mark.parametrize("dataset, n_max", [("demo", 240), ("good-or-poor", 200)])
def test_verdict_finds_a_real_lift_and_claims_none_from_shuffled_labels(ray_start_2_cpus, tmp_path, dataset, n_max):
    data, held, shuffled = _control_inputs(tmp_path, dataset)
    run = run_sweep(load_config(DEMO, _overrides(tmp_path, data, held, "positive", n_max)))
    v = json.loads((run.run_dir / "summary.json").read_text())["verdict"]
    print(f"positive control, {dataset}:\n{v['sentence']}")  # docs/verdict.md quotes it (pytest -s)
    best = v["arms"]["best"]
    assert best["conclusion"] == "better", v["sentence"]
    assert best["delta_auc"]["ci95"][0] > 0
    assert best["worth_labels_per_label"]["ci95"][0] > 0, best["worth_labels_per_label"]

    run = run_sweep(load_config(DEMO, _overrides(tmp_path, data, shuffled, "negative", n_max)))
    v = json.loads((run.run_dir / "summary.json").read_text())["verdict"]
    assert v["arms"]["best"]["conclusion"] != "better", v["sentence"]
