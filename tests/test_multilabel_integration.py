"""Real multi-label sweeps: real Ray, real OptunaSearch, SmolLM2 and MiniLM, one sigmoid per label.

The shipped label sets (the demo's reviews with their records' labels, data/make_review_labels.py)
search both ways of choosing what to write (`rare_first`, `observed`); a second dataset is given
by config keys alone (the project's relation sentences read as label sets: another file, columns,
separator and labels, no code). Each ends with a verdict on macro AUC and per-label metrics, and
the exported model reproduces its recorded test macro AUC through a plain `pipeline`.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from sweep import export_trial, load_config, run_sweep
from sweep.inputs import sweep_dataset
from trainables import auc

from .conftest import REPO

pytestmark = pytest.mark.integration

SMALL = {
    "search.num_samples": 3,
    "search.startup_trials": 2,
    "search.n_synthetic": "[0, 12]",
    "search.n_synthetic_step": 6,
    "search.temperature": "[0.7, 0.8]",
    "generator.threads": 1,
    "generator.max_new_tokens": 48,
    "classifier.epochs": 6,
    "eval.repeats": 2,
    "eval.verdict_seeds": 2,
}


def _pipeline_auc(out, texts: list[str], labels: list[str]) -> np.ndarray:
    from transformers import pipeline

    clf = pipeline(
        "text-classification", model=str(out), trust_remote_code=True, top_k=None, function_to_apply="sigmoid"
    )
    rows = clf(texts, truncation=True)
    return np.array([[{s["label"]: s["score"] for s in row}[lab] for lab in labels] for row in rows])


def test_a_label_set_sweep_runs_to_a_verdict_and_an_export_that_reproduces_it(ray_start_2_cpus, tmp_path):
    over = {**SMALL, "storage": str(tmp_path / "runs"), "data.max_train": 90}
    cfg = load_config(REPO / "conf" / "multilabel.yaml", [f"{k}={v}" for k, v in over.items()])
    run_dir = run_sweep(cfg).run_dir

    summary = json.loads((run_dir / "summary.json").read_text())
    verdict = summary["verdict"]
    assert summary["trials"]["errored"] == 0 and verdict["arms"]["best"], "a synthetic trial reached the verdict"
    base = verdict["arms"]["baseline"]
    assert 0.5 < base["test_auc_mean"] <= 1.0 and base["micro_f1"] is not None and base["f1_tuned"] is not None
    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    assert {r["synthetic_labels"] for r in rows[1:]} <= {"rare_first", "observed"}, "the way is searched"
    for path in run_dir.rglob("synthetic.csv"):
        for r in csv.DictReader(open(path, newline="", encoding="utf-8")):
            labels = json.loads(r["label"])
            assert labels and set(labels) <= set(summary["data"]["labels"]), "each example carries its label set"

    out = export_trial(run_dir, tmp_path / "model")
    info = json.loads((out / "synthsweep.json").read_text())
    data = sweep_dataset(cfg)
    probs = _pipeline_auc(out, data.test.texts, data.labels)
    assert abs(auc(data.test.y, probs) - info["trial"]["test"]["auc"]) < 0.005, "a plain pipeline reproduces it"
    assert json.loads((out / "config.json").read_text())["problem_type"] == "multi_label_classification"


ANTIDEPRESSANTS = {"sertraline", "escitalopram", "bupropion", "venlafaxine", "duloxetine", "trazodone"}


def _tagged_sentences(target) -> None:
    """The relation sentences, unmarked, in a CSV whose `tags` hold the relation and, independently of
    it, `antidepressant` when the drug is one: another file, format, columns and separator."""
    source = REPO / "data" / "relations_train.tsv"
    rows = list(csv.DictReader(open(source, newline="", encoding="utf-8"), delimiter="\t"))
    with open(target, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sentence", "tags"])
        for r in rows:
            drug = r["text"].split("<e1>")[1].split("</e1>")[0].lower()
            tags = [r["relation"]] + (["antidepressant"] if drug in ANTIDEPRESSANTS else [])
            plain = r["text"]
            for marker in ("<e1>", "</e1>", "<e2>", "</e2>"):
                plain = plain.replace(marker, "")
            w.writerow([plain, "|".join(tags)])


def test_another_label_set_dataset_needs_only_config_keys(ray_start_2_cpus, tmp_path):
    target = tmp_path / "sets.csv"
    _tagged_sentences(target)
    keys = {
        **SMALL,
        "storage": str(tmp_path / "runs"),
        "name": "sets",
        "data.train": str(target),
        "data.test": "null",
        "data.text_column": "sentence",
        "data.label_column": "tags",
        "data.label_separator": "'|'",  # quoted: a bare | is YAML's block marker
        "data.max_train": "null",
        "search.synthetic_labels": "[balanced]",
        "generator.task": "patient drug review website",
    }
    cfg = load_config(REPO / "conf" / "multilabel.yaml", [f"{k}={v}" for k, v in keys.items()])
    run_dir = run_sweep(cfg).run_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["data"]["labels"] == ["antidepressant", "causes", "none", "treats"]
    assert summary["verdict"]["arms"]["baseline"]["test_auc_mean"] > 0.6
