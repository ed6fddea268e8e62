"""A real relation-classification sweep: real Ray, real OptunaSearch, SmolLM2 and MiniLM with the
entity markers as tokens, on the project's own relation sentences (data/README.md)."""

from __future__ import annotations

import csv
import json

import pytest

from common import DEFAULT_MARKERS, marker_problem
from sweep import export_trial, load_config, run_sweep

from .conftest import REPO

pytestmark = pytest.mark.integration


def test_a_relation_sweep_keeps_its_markers_from_prompt_to_export(ray_start_2_cpus, tmp_path):
    over = {
        "storage": str(tmp_path / "runs"),
        "data.max_train": 24,
        "search.num_samples": 3,
        "search.startup_trials": 2,
        "search.n_synthetic": "[0, 6]",
        "search.n_synthetic_step": 3,
        "search.temperature": "[0.7, 0.8]",
        "generator.threads": 1,
        "generator.max_new_tokens": 48,
        "classifier.epochs": 4,
        "eval.verdict_seeds": 2,
    }
    cfg = load_config(REPO / "conf" / "relations.yaml", [f"{k}={v}" for k, v in over.items()])
    run_dir = run_sweep(cfg).run_dir

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trials"]["errored"] == 0 and summary["verdict"]["arms"]["best"]
    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    rejected = sum(int(r["rejected_markers"]) for r in rows[1:])
    assert rejected > 0, "SmolLM2 drops markers often; each drop is counted under its own reason"
    for path in run_dir.rglob("synthetic.csv"):
        for r in csv.DictReader(open(path, newline="", encoding="utf-8")):
            assert marker_problem(r["text"], DEFAULT_MARKERS) is None, "only marked synthetic texts train"

    out = export_trial(run_dir, tmp_path / "model")
    from transformers import AutoTokenizer, pipeline

    tok = AutoTokenizer.from_pretrained(out)
    assert tok.tokenize("<e1>aspirin</e1> eased my <e2>headache</e2>")[0] == "<e1>"
    assert set(DEFAULT_MARKERS) <= set(tok.all_special_tokens), "the export keeps the markers as tokens"
    clf = pipeline("text-classification", model=str(out), trust_remote_code=True, top_k=None)
    scores = clf("Since I started <e1>ibuprofen</e1> my <e2>back pain</e2> is gone.")[0]
    assert {s["label"] for s in scores} == {"causes", "none", "treats"}
