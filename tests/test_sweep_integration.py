"""Real sweeps: real Ray, real OptunaSearch, the bundled SmolLM2 generator and MiniLM classifier."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from sweep import load_config, run_sweep
from sweep.outputs import read_summary

from .conftest import REPO, small_overrides

pytestmark = pytest.mark.integration

DEMO = REPO / "conf" / "demo.yaml"


def test_demo_sweep_end_to_end_and_rerun_uses_cache(ray_start_2_cpus, tmp_path, demo_test_slice):
    cfg = load_config(DEMO, small_overrides(tmp_path / "runs", demo_test_slice))
    result = run_sweep(cfg)
    run_dir = result.run_dir
    assert run_dir == tmp_path / "runs" / "demo"
    assert read_summary(run_dir) == result, "what run_sweep returns is what summary.json holds"

    summary = json.loads((run_dir / "summary.json").read_text())
    for entry in (result.baseline, result.best):
        assert entry is not None and None not in (entry.val_auc, entry.test_auc_mean, entry.precision, entry.f1)
        assert 0.0 <= entry.test_auc_mean <= 1.0
    assert result.baseline.params["n_synthetic"] == 0
    assert result.best.params["n_synthetic"] > 0, "best: the best trial with synthetic data"
    _check_verdict(summary)
    assert result.trials.total == 3
    assert result.synthetic.generated > 0
    used = sum(int(r["n_synthetic_used"]) for r in csv.DictReader(open(run_dir / "trials.csv")))
    assert result.synthetic.from_cache + result.synthetic.generated == used

    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    assert len(rows) == 3
    _check_study(run_dir, rows)
    trial_dirs = [d for d in run_dir.glob("train_classifier_*") if d.is_dir()]
    assert len(trial_dirs) == 3 and all((d / "result.json").is_file() for d in trial_dirs)
    assert not list(run_dir.glob("*/events.out.tfevents*")), "Tune's TensorBoard logger is left out"
    assert rows[0]["n_synthetic"] == "0", "the first trial is the baseline"
    for col in (
        "temperature",
        "n_synthetic",
        "real_ratio",
        "val_auc",
        "val_precision",
        "val_recall",
        "val_f1",
        "n_real",
        "n_synthetic_used",
        "synthetic_generated",
        "synthetic_from_cache",
        "time_s",
    ):
        assert col in rows[0]
    # No record text in the tabular outputs.
    train_texts = pd.read_csv(REPO / "data" / "drugsComTrain.tsv", sep="\t")["review"].tolist()
    blob = (run_dir / "trials.csv").read_text() + (run_dir / "summary.json").read_text()
    assert not any(t[:60] in blob for t in train_texts)

    first = (run_dir / "summary.json").read_bytes()
    # Same sweep again: the first run is kept, nothing new is generated.
    run_dir2 = run_sweep(cfg).run_dir
    assert run_dir2 == tmp_path / "runs" / "demo-2"
    assert (run_dir / "summary.json").read_bytes() == first
    summary2 = json.loads((run_dir2 / "summary.json").read_text())
    assert summary2["synthetic"]["generated"] == 0
    assert summary2["synthetic"]["from_cache"] == summary["synthetic"]["from_cache"] + summary["synthetic"]["generated"]
    assert summary2["best"]["val_auc"] == pytest.approx(summary["best"]["val_auc"])

    # Synthetic examples with no loss weight cannot change anything: the verdict must say so.
    zero = run_sweep(load_config(DEMO, small_overrides(tmp_path / "runs", demo_test_slice, **ZERO_WEIGHT))).run_dir
    _check_no_evidence(json.loads((zero / "summary.json").read_text()))


def _check_study(run_dir, rows) -> None:
    """The search's Optuna study is in the run directory, as optuna-dashboard would open it: every
    synthetic trial with its parameters and value (the baseline is outside Optuna's space)."""
    import optuna

    from sweep.rundir import study_name, study_url

    study = optuna.load_study(study_name=study_name(run_dir), storage=study_url(None, run_dir))
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == len(rows) - 1
    assert sorted(round(t.value, 6) for t in done) == sorted(round(float(r["val_auc"]), 6) for r in rows[1:])
    assert all({"n_synthetic", "real_ratio"} <= set(t.params) for t in done)


LABEL_ARMS = {"labels_25", "labels_50", "labels_75"}
ZERO_WEIGHT = {"name": "zero-weight", "search.real_ratio": "[1.0, 1.0]", "search.num_samples": 3}


def _check_verdict(summary: dict) -> None:
    v = summary["verdict"]
    assert set(v["arms"]) == {"baseline", "reweighted", "oversample", "eda", "best"} | LABEL_ARMS
    assert 0.0 < v["detectable_delta"] < 1.0
    curve = v["labels"]
    assert curve["fractions"] == [0.25, 0.5, 0.75, 1.0]
    assert 1 <= curve["n_per_label"][0] < curve["n_per_label"][-1]
    for arm in ("reweighted", "oversample", "eda", "best"):
        worth = v["arms"][arm]["worth_labels_per_label"]
        assert worth["ci95"][0] <= worth["mean"] <= worth["ci95"][1]
    assert "labels" in v["sentence"]
    assert v["seeds"] >= 3 and v["bootstrap"] >= 1000
    assert v["conclusion"] == v["arms"]["best"]["conclusion"] in ("better", "worse", "no evidence")
    for name, arm in v["arms"].items():
        for key in ("test_auc_mean", "test_auc_sd", "precision", "recall", "f1"):
            assert arm[key] is not None, (name, key)
        lo, hi = arm["delta_auc"]["ci95"]
        assert lo <= arm["delta_auc"]["mean"] <= hi
    assert summary["best"]["test_auc_mean"] == v["arms"]["best"]["test_auc_mean"]
    assert summary["baseline"]["test_auc_mean"] == v["arms"]["baseline"]["test_auc_mean"]
    assert "against no augmentation" in v["sentence"]


def _check_no_evidence(summary: dict) -> None:
    _check_verdict(summary)
    best = summary["verdict"]["arms"]["best"]
    lo, hi = best["delta_auc"]["ci95"]
    assert best["conclusion"] == "no evidence" and lo <= 0.0 <= hi


def test_other_dataset_three_classes_by_config_only(ray_start_2_cpus, tmp_path):
    """A JSONL file with other column names and a label the demo never used (the drug's condition)."""
    df = pd.read_csv(REPO / "data" / "drugsComTrain.tsv", sep="\t", index_col=0)
    top = df["condition"].value_counts().index[:3]
    sub = df[df["condition"].isin(top)].groupby("condition").head(20)
    path = tmp_path / "conditions.jsonl"
    sub.rename(columns={"review": "body", "condition": "diagnosis"})[["body", "diagnosis"]].to_json(
        path, orient="records", lines=True
    )
    cfg = load_config(
        DEMO,
        small_overrides(
            tmp_path / "runs",
            "null",
            **{
                "name": "conditions",
                "data.train": str(path),
                "data.text_column": "body",
                "data.label_column": "diagnosis",
                "data.validation_fraction": 0.25,
                "data.test_fraction": 0.25,
                "data.max_train": "null",
                "data.labels": "null",
                "data.positive_label": "null",
                "search.real_ratio": "[1.0, 1.0]",
                "generator.task": "patient review of a drug for a medical condition",
            },
        ),
    )
    run_dir = run_sweep(cfg).run_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["data"]["labels"] == sorted(top)
    assert summary["best"]["test_auc_mean"] is not None
    assert set(summary["best"]["val_per_class"]) == set(top)
    # Its synthetic examples carry no weight (search.real_ratio [1, 1]): no evidence either way.
    _check_no_evidence(summary)
