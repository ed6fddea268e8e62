"""A real sweep over two generators: real Ray, real OptunaSearch, SmolLM2 (chat) and Gemma 3 (base)."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from sweep import load_config, run_sweep

from .conftest import REPO, small_overrides

pytestmark = pytest.mark.integration

TWO = REPO / "conf" / "two_generators.yaml"


def test_sweep_over_two_generators(ray_start_2_cpus, tmp_path, demo_test_slice):
    overrides = small_overrides(
        tmp_path / "runs",
        demo_test_slice,
        # One thread each: the test must not depend on an idle machine (llama.cpp's two threads
        # spin-wait, and collapse when other processes hold a core).
        # Both synthetic trials are TPE's random start-up ones, so the seed alone decides them: with
        # seed 1 smollm2 (n_synthetic 6) then gemma (3) after the baseline (tests/test_search.py
        # shows how to list a seed's suggestions without running a trial).
        **{"generator.threads": 1, "seed": 1, "search.startup_trials": 2},
        # Gemma's prompts show more shots than the other generator's: every class keeps five
        # training examples, more than its share of twelve would be.
        **{"data.max_train": 12, "generators.gemma.few_shot": 5},
    )
    cfg = load_config(TWO, overrides)
    assert cfg.searched_generators() == ["smollm2", "gemma"]
    run_dir = run_sweep(cfg).run_dir

    summary = json.loads((run_dir / "summary.json").read_text())
    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    assert len(rows) == 3 and summary["trials"]["errored"] == 0
    assert rows[0]["n_synthetic"] == "0" and rows[0]["generator"] == "smollm2", "the baseline comes first"
    assert summary["baseline"]["params"]["generator"] == "smollm2"
    used = {r["generator"] for r in rows[1:]}
    assert used == {"smollm2", "gemma"}, f"seed 1 should try both generators in trials 2 and 3, got {used}"
    for r in rows[1:]:
        assert int(r["n_synthetic_used"]) > 0
        assert int(r["synthetic_generated"]) + int(r["synthetic_from_cache"]) == int(r["n_synthetic_used"])

    models = summary["models"]["generators"]
    assert list(models) == ["smollm2", "gemma"]
    assert models["gemma"]["name"] == "gemma3-270m" and models["gemma"]["backend"] == "llama_cpp"
    keys = {m["cache_key"] for m in models.values()}
    assert len(keys) == 2, "each generator has its own cache key"
    # Each generator's attempts are cached under its own key.
    with sqlite3.connect(tmp_path / "runs" / ".cache" / "synthetic.sqlite") as db:
        cached = {k for (k,) in db.execute("SELECT DISTINCT model_hash FROM attempts")}
    assert cached == keys
    _check_one_dataset(run_dir, tmp_path, summary["data"]["n_train"])


def _check_one_dataset(run_dir, tmp_path, n_train: int) -> None:
    """Report and export rebuild the sweep's data by its rule (the hungriest generator's few_shot)."""
    import re

    from sweep import export_trial, write_report

    assert n_train == 15, "five per class, the floor gemma's few_shot sets"
    html = write_report(run_dir).read_text()
    assert re.search(r"Data: (\d+) training,", html).group(1) == str(n_train)
    out = export_trial(run_dir, tmp_path / "model")
    assert json.loads((out / "synthsweep.json").read_text())["data"]["n_train"] == n_train


def test_a_file_beside_a_model_in_one_sweep(ray_start_2_cpus, tmp_path, demo_test_slice, capsys):
    """A file of examples as one entry of `generators:`; a bad file later costs the cache nothing."""
    import pandas as pd

    from common import UserError

    df = pd.read_csv(REPO / "data" / "drugsComTrain.tsv", sep="\t", index_col=0)
    df = df[df["rating"].isin(["negative", "positive"])].groupby("rating").tail(8)  # the split takes the first rows
    examples = tmp_path / "mine.csv"
    df[["review", "rating"]].to_csv(examples, index=False)
    overrides = small_overrides(
        tmp_path / "runs",
        demo_test_slice,
        **{"generator.threads": 1, "seed": 1, "search.startup_trials": 2, "data.labels": "[negative, positive]"},
        **{"generators.gemma.backend": "file", "generators.gemma.model": str(examples)},
    )
    run_dir = run_sweep(load_config(TWO, overrides)).run_dir
    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    assert {r["generator"] for r in rows[1:]} == {"smollm2", "gemma"}
    from_file = next(r for r in rows[1:] if r["generator"] == "gemma")
    assert 0 < int(from_file["n_synthetic_used"]) and from_file["generated_tokens"] in ("0", "0.0")
    models = json.loads((run_dir / "summary.json").read_text())["models"]["generators"]
    assert models["gemma"]["backend"] == "file" and models["gemma"]["sha256"]
    cache = tmp_path / "runs" / ".cache" / "synthetic.sqlite"
    with sqlite3.connect(cache) as db:
        before = db.execute("SELECT model_hash, COUNT(*) FROM attempts GROUP BY model_hash").fetchall()
    assert {k for k, _ in before} == {m["cache_key"] for m in models.values()}

    examples.write_text("review,rating\nsome text,neutral\n")  # now a label the data does not have
    with pytest.raises(UserError, match="generators.gemma.model: label 'neutral'"):
        run_sweep(load_config(TWO, [*overrides, "name=again"]))
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT model_hash, COUNT(*) FROM attempts GROUP BY model_hash").fetchall() == before
    assert not (tmp_path / "runs" / "again").exists()
