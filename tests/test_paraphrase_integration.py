"""A real sweep that searches both ways of writing examples: real Ray, real OptunaSearch, SmolLM2.

With seed 4 TPE's two random start-up trials after the baseline are ``generate`` (6 examples,
T 0.8) and ``paraphrase`` (6, T 0.7) (listed without running, as tests/test_search.py shows).
"""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from generators import OverlapIndex, source_id
from sweep import load_config, run_sweep
from sweep.inputs import sweep_dataset

from .conftest import REPO, small_overrides

pytestmark = pytest.mark.integration


def test_a_sweep_searches_generation_and_paraphrasing(ray_start_2_cpus, tmp_path, demo_test_slice, capsys):
    overrides = small_overrides(
        tmp_path / "runs",
        demo_test_slice,
        **{"generator.threads": 1, "seed": 4, "search.startup_trials": 2},
        **{"search.augment": "[generate, paraphrase]"},
    )
    cfg = load_config(REPO / "conf" / "demo.yaml", overrides)
    run_dir = run_sweep(cfg).run_dir
    out = capsys.readouterr().out

    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    assert [r["augment"] for r in rows] == ["", "generate", "paraphrase"], "the baseline writes nothing"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trials"]["errored"] == 0
    for r in rows[1:]:
        assert int(r["n_synthetic_used"]) > 0, r
        assert "rejected_copies_source" in r

    train = sweep_dataset(cfg).train.texts
    ids = {source_id(t): t for t in train}
    _check_the_cache(tmp_path, ids)
    _check_the_paraphrase_trial(run_dir, ids, cfg.privacy.max_shared_words)

    arms = summary["verdict"]["arms"]
    assert {"generate", "paraphrase"} <= set(arms), "each method's best trial is its own arm"
    assert arms["paraphrase"]["params"]["augment"] == "paraphrase"
    assert arms["generate"]["params"]["augment"] == "generate"
    best = arms["best"]["params"]
    assert arms[best["augment"]]["params"]["trial_id"] == best["trial_id"], "best is its method's best"
    sentence = summary["verdict"]["sentence"]
    assert "Each method's best trial: generating: " in sentence and "paraphrasing: " in sentence
    assert ("paraphrasing, T" in sentence) == (best["augment"] == "paraphrase")
    assert "augment" in out and "paraphrase" in out, "the trials table shows each trial's method"


def _check_the_cache(tmp_path, ids: dict[str, str]) -> None:
    """Paraphrases are cached under their source's id, and every id is a real training example's."""
    with sqlite3.connect(tmp_path / "runs" / ".cache" / "synthetic.sqlite") as db:
        rows = db.execute("SELECT prompt_hash, source FROM attempts").fetchall()
    sources = {s for _, s in rows if s}
    assert sources and sources <= set(ids), "a source id names a real training example"
    generated = {h for h, s in rows if not s}
    paraphrased = {h for h, s in rows if s}
    assert generated and paraphrased and not generated & paraphrased, "each method has its own prompt key"


def _check_the_paraphrase_trial(run_dir, ids: dict[str, str], limit: int) -> None:
    """The paraphrase trial's recorded set names each example's source, and none copies it."""
    recorded = [p for p in run_dir.rglob("synthetic.csv") if _trial_augment(p) == "paraphrase"]
    assert recorded, "the paraphrase trial kept its synthetic set"
    rows = list(csv.DictReader(open(recorded[0], newline="", encoding="utf-8")))
    assert rows and all(r["source_id"] in ids for r in rows)
    for r in rows:
        overlap = OverlapIndex([ids[r["source_id"]]]).measure(r["text"])
        assert overlap.longest_run < limit, "the own-source check kept word-for-word copies out"


def _trial_augment(synthetic_csv) -> str | None:
    meta = synthetic_csv.parent / "trial.json"
    if not meta.is_file():
        return None
    return json.loads(meta.read_text())["params"].get("augment")
