"""``synthsweep export`` on a real small sweep: a model directory that works without synthsweep."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig

import numpy as np
import pytest

from sweep.cli import main
from sweep.inputs import load_dataset
from sweep.rundir import read_trials, recorded_config
from trainables import auc

pytestmark = pytest.mark.integration

# Runs with -I -S: no user site, no .pth files (so not synthsweep's editable install), no cwd on
# the path; only the installed third-party packages are added back.
PIPELINE = """
import importlib.util, json, sys
sys.path.append(sys.argv[3])
assert importlib.util.find_spec("sweep") is None and importlib.util.find_spec("trainables") is None
from transformers import pipeline
texts = json.load(open(sys.argv[2]))
classify = pipeline("text-classification", model=sys.argv[1], top_k=None, trust_remote_code=True)
print(json.dumps([{d["label"]: d["score"] for d in out} for out in classify(texts, truncation=True, batch_size=8)]))
"""


def test_best_trial_loads_in_a_plain_pipeline_and_reproduces_its_test_auc(small_run, tmp_path):
    out = tmp_path / "model"
    assert main(["export", str(small_run), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "README.md",
        "synthsweep.json",
        "synthetic.csv",
        "modeling_synthsweep.py",
    }
    info = json.loads((out / "synthsweep.json").read_text())
    summary = json.loads((small_run / "summary.json").read_text())
    assert info["trial"]["trial_id"] == summary["best"]["trial_id"]
    # The exported model is the trial's first repeat; the verdict's figures (mean over fresh seeds) ride along.
    assert info["verdict"] == summary["verdict"]
    assert info["trial"]["test"]["auc"] is not None, "the best trial is a verdict arm: its test AUC is recorded"

    # Best epoch over all reported epochs, and that epoch's checkpoint.
    record = next(r for r in read_trials(small_run) if r.trial_id == info["trial"]["trial_id"])
    best_epoch = max(record.rows, key=lambda row: row["val_auc"])["epoch"]
    assert info["trial"]["epoch"] == best_epoch
    assert info["trial"]["validation"]["auc"] == pytest.approx(max(row["val_auc"] for row in record.rows))
    assert info["models"]["generator"]["name"] == "smollm2-135m-instruct"
    assert (out / "synthetic.csv").read_bytes() == (record.best_checkpoint / "synthetic.csv").read_bytes()
    assert (out / "synthetic.csv").read_text().count("\n") == 1 + (info["trial"]["n_synthetic"] or 0)

    config = json.loads((out / "config.json").read_text())
    labels = info["labels"]
    assert config["id2label"] == {str(i): lab for i, lab in enumerate(labels)}
    assert config["label2id"] == {lab: i for i, lab in enumerate(labels)}
    # Head mode ships its mean pooling as code: transformers loads it with trust_remote_code=True.
    assert config["architectures"] == ["PooledBertForSequenceClassification"]
    assert config["auto_map"]["AutoModelForSequenceClassification"].startswith("modeling_synthsweep.")

    assert info["baseline"]["test"]["auc"] is not None
    assert set(info["data"]["files"].values()) == set(summary["data"]["files"].values())
    for key in ("generator", "classifier"):
        assert len(info["models"][key]["sha256"]) == 64
    assert info["versions"]["transformers"] and info["versions"]["torch"] and info["versions"]["synthsweep"]
    assert "git" in info
    card = (out / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers\npipeline_tag: text-classification")
    assert f"{info['trial']['test']['auc']:.3f}" in card

    # Scored by transformers alone, in an interpreter that cannot import synthsweep.
    data = load_dataset(*_data_args(small_run))
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(data.test.texts))
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PIPELINE, str(out), str(texts), sysconfig.get_paths()["purelib"]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    scores = json.loads(proc.stdout.strip().splitlines()[-1])
    probs = np.array([[s[lab] for lab in labels] for s in scores])
    assert abs(auc(data.test.y, probs) - info["trial"]["test"]["auc"]) <= 0.005


def _data_args(run_dir):
    cfg = recorded_config(run_dir)
    return cfg.data, cfg.seed, cfg.generator.few_shot


def test_another_trial_by_id_and_one_line_refusals(small_run, tmp_path, capsys, monkeypatch):
    baseline = json.loads((small_run / "summary.json").read_text())["baseline"]["trial_id"]
    out = tmp_path / "baseline"
    assert main(["export", str(small_run), "--out", str(out), "--trial", baseline[:5]]) == 0
    info = json.loads((out / "synthsweep.json").read_text())
    assert info["picked"] == "trial" and info["trial"]["trial_id"] == baseline
    assert info["trial"]["params"]["n_synthetic"] == 0
    # A trial that is no verdict arm shows validation metrics only: nobody picks a model by test score.
    arms = (baseline, info["verdict"]["arms"]["best"]["params"]["trial_id"])
    others = [r for r in read_trials(small_run) if r.trial_id not in arms and r.best_checkpoint is not None]
    if others:
        other_out = tmp_path / "other"
        assert main(["export", str(small_run), "--out", str(other_out), "--trial", others[0].trial_id]) == 0
        other = json.loads((other_out / "synthsweep.json").read_text())
        assert other["trial"]["test"] is None and other["trial"]["validation"]["auc"] is not None
    capsys.readouterr()

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["export", str(small_run), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --out {out} already exists and is not empty; choose a new directory"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    assert main(["export", str(small_run), "--out", str(tmp_path / "x"), "--trial", "zzzz"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --trial 'zzzz' is not a trial of this run (trials: ") and len(err.splitlines()) == 1

    # A failure half-way leaves neither the model directory nor a temporary one behind.
    import sweep.outputs._export

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sweep.outputs._export.shutil, "copyfile", broken)
    with pytest.raises(OSError):
        sweep.outputs._export.export_trial(small_run, tmp_path / "half")
    assert not [p.name for p in tmp_path.iterdir() if p.name not in ("baseline", "other")]


def test_export_takes_the_trial_number_run_printed(small_run, tmp_path, capsys):
    third = next(r for r in read_trials(small_run) if r.number == 3)
    assert main(["export", str(small_run), "--out", str(tmp_path / "trial3"), "--trial", "3"]) == 0
    info = json.loads((tmp_path / "trial3" / "synthsweep.json").read_text())
    assert info["trial"]["number"] == 3 and info["trial"]["trial_id"] == third.trial_id
