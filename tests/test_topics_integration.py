"""A real many-small-classes sweep: real Ray, real OptunaSearch, SmolLM2 and MiniLM on 20 topics of
10-50 training texts (the project's own comments, data/README.md), printed at 100 columns."""

from __future__ import annotations

import json
import re

import pytest

from sweep import load_config, run_sweep, write_report

from .conftest import REPO

pytestmark = pytest.mark.integration


def test_twenty_small_topics_run_end_to_end_within_100_columns(ray_start_2_cpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    over = {
        "storage": str(tmp_path / "runs"),
        "search.num_samples": 3,
        "search.startup_trials": 2,
        "search.n_synthetic": "[0, 20]",
        "search.temperature": "[0.8, 0.9]",
        "generator.threads": 1,
        "generator.max_new_tokens": 40,
        "classifier.epochs": 6,
        "eval.verdict_seeds": 2,
        "eval.bootstrap": 1000,
    }
    cfg = load_config(REPO / "conf" / "topics.yaml", [f"{k}={v}" for k, v in over.items()])
    run_dir = run_sweep(cfg).run_dir
    out, err = capsys.readouterr()

    summary = json.loads((run_dir / "summary.json").read_text())
    verdict, labels = summary["verdict"], summary["data"]["labels"]
    assert summary["trials"]["errored"] == 0 and len(labels) == 20 and verdict["arms"]["best"]
    rarest = verdict["rarest"]
    assert len(rarest["labels"]) == 5 and rarest["of"] == 20
    assert rarest["train_counts"] == sorted(rarest["train_counts"]) and max(rarest["train_counts"]) <= 11
    assert set(rarest["arms"]) == {"baseline", "reweighted", "oversample", "eda", "best"}
    for arm in ("baseline", "best"):
        assert set(verdict["arms"][arm]["per_label"]) == set(labels)
        assert set(verdict["arms"][arm]["per_label"][labels[0]]) == {"precision", "recall", "f1", "support"}
    counts = summary["data"]["label_counts"]
    assert min(c[split] for c in counts.values() for split in ("train", "validation", "test")) >= 1

    lines = out.splitlines()
    assert lines and max(len(line) for line in lines) <= 100, [line for line in lines if len(line) > 100]
    assert "rarest quarter Δ AUC [95% CI]" in out and f"rarest quarter: {rarest['labels'][0]}" in out
    named = [lab for lab in labels if lab not in rarest["labels"] and re.search(rf"\b{re.escape(lab)}\b", out)]
    assert not named, f"the terminal names no label outside the rarest quarter: {named}"
    assert not re.search(r"generating (?!@)", err), "one progress line per run of pools, not one per label"

    html = write_report(run_dir).read_text()
    assert "The rarest quarter of the labels" in html
    assert all(f'<td class="l">{lab}</td>' in html for lab in labels), "a per-label row for every topic"
