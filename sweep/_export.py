"""``synthsweep export``: one trial as a Hugging Face model directory anyone can load.

The directory holds safetensors weights, a config with ``id2label``/``label2id``, the tokenizer,
a model card (README.md), ``synthsweep.json`` (parameters, metrics, hashes, versions) and
``synthetic.csv`` (the exact synthetic examples the trial trained on). Head-mode trials become a
plain ``BertForSequenceClassification`` (identity pooler, trained head); lora/full checkpoints
already hold a merged plain model. It is written beside ``--out`` and renamed into place, so a
failure never leaves a half-written model.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from ._atomic import follow_umask
from ._errors import UserError
from ._hashing import sha256_file, sha256_path
from ._runstate import load_run
from ._trials import TrialRecord, pick_baseline, pick_best, read_trials

PACKAGES = (
    "synthsweep",
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "peft",
    "ray",
    "optuna",
    "llama_cpp_python",
    "scikit-learn",
    "numpy",
)


def package_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def project_commit() -> dict[str, Any] | None:
    """The synthsweep source's git commit (and whether it had local changes), or None outside git."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(dirty)} if head else None


def find_trial(records: list[TrialRecord], trial: str | None) -> TrialRecord:
    """The best trial by validation AUC over all its epochs, or the one ``--trial`` names.

    ``--trial`` is the trial's number as ``run`` and ``status`` show it, its id, or a prefix of
    its id that only it has.
    """
    if trial is None:
        best = pick_best(records)
        if best is None:
            raise UserError("no trial has reported a validation AUC yet; nothing to export")
        return best
    by_number = [r for r in records if trial.isdigit() and r.number == int(trial)]
    matches = by_number or [r for r in records if r.trial_id == trial or r.trial_id.startswith(trial)]
    if len(matches) != 1:
        known = ", ".join(f"{r.number} ({r.trial_id})" for r in records) or "none"
        what = "matches several trials" if matches else "is not a trial of this run"
        raise UserError(f"--trial {trial!r} {what} (trials: {known})")
    return matches[0]


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"--out {out} already exists and is not empty; choose a new directory")
    if not out.parent.exists():
        raise UserError(f"--out {out}: parent directory {out.parent} does not exist")


def _metrics(r: TrialRecord, data, feature_cache: Path) -> dict[str, Any]:
    from trainables import classification_metrics
    from trainables._checkpoint import score_checkpoint

    ckpt = r.best_checkpoint
    if ckpt is None:
        return {}
    return classification_metrics(data.test.y, score_checkpoint(ckpt, data.test.texts, feature_cache), data.labels)


def _val_metrics(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("auc", "precision", "recall", "f1", "accuracy", "per_class")
    return {k: row.get(f"val_{k}") for k in keys}


def _r(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}"


_MODES = {
    "head": "frozen encoder, only the final linear layer trained; the BERT pooler is the identity",
    "lora": "LoRA adapters trained with the classification head, then merged into the weights",
    "full": "every weight trained",
}


def model_card(info: dict[str, Any]) -> str:
    t, b = info["trial"], info.get("baseline")
    prm = t["params"]
    labels = ", ".join(f"`{x}`" for x in info["labels"])
    rows = [("this model", t["validation"], t["test"])]
    if b:
        rows.append(("baseline (no synthetic data)", b["validation"], b["test"]))
    table = "\n".join(
        f"| {name} | {_r(v.get('auc'))} | {_r(s.get('auc'))} | {_r(s.get('precision'))} | {_r(s.get('recall'))} "
        f"| {_r(s.get('f1'))} |"
        for name, v, s in rows
    )
    tr = info["training"]
    return f"""---
library_name: transformers
pipeline_tag: text-classification
tags:
- synthsweep
- synthetic-data
---

# {info["run"]} / trial {t["trial_id"]}

A text classifier ({labels}) fine-tuned by synthsweep on
{t["n_real"]} real training examples plus {t["n_synthetic"]} synthetic examples written by a local
LLM (`{info["models"]["generator"]["name"]}`) at temperature {prm["temperature"]}, with the real
examples carrying {prm["real_ratio"]:.2f} of the training loss weight. It was the
{"best trial of its sweep by validation AUC" if info["picked"] == "best" else "trial chosen with --trial"}
({info["trials_in_sweep"]} trials, epoch {t["epoch"]} of {tr["epochs"]}).

## Results

Macro one-vs-rest AUC; precision, recall and F1 macro-averaged, predicted class = argmax.
The test split ({info["data"]["n_test"]} texts) was never used to train or pick a trial.

| model | validation AUC | test AUC | test precision | test recall | test F1 |
|---|---|---|---|---|---|
{table}

## Use

```python
from transformers import pipeline

classify = pipeline("text-classification", model="path/to/this/directory", top_k=None)
classify(["a text to label"], truncation=True)  # trained on texts cut at {tr["max_length"]} tokens
```

## Training

Base model `{info["models"]["classifier"]["name"]}`, mode `{tr["mode"]}` ({_MODES[tr["mode"]]}),
learning rate {tr["learning_rate"]}, batch size {tr["batch_size"]}, seed {tr["seed"]}. The weights
are those of the epoch with the highest validation AUC.

`synthetic.csv` holds the exact synthetic examples this model trained on; `synthsweep.json` holds
the parameters, all metrics, sha256 hashes of the data and model files, package versions and
the synthsweep commit.

## Limitations

Trained on a small labelled set and on machine-written text; metrics come from
{info["data"]["n_validation"]} validation and {info["data"]["n_test"]} test texts and carry
sampling error. Validate on your own data before relying on it, and do not use it for clinical
decisions without that validation.
"""


def export_trial(run_dir: str | Path, out: str | Path, trial_id: str | None = None) -> Path:
    """Write ``trial_id`` (default: the best trial) of ``run_dir`` as a model directory at ``out``."""
    from ._bundled import resolve_classifier_model, resolve_generator_model
    from ._data import load_dataset
    from ._offline import force_offline
    from ._resume import run_config

    force_offline()
    run_dir, state = load_run(run_dir)
    out = Path(out)
    _check_out(out)
    records = read_trials(run_dir)
    record = find_trial(records, trial_id)
    ckpt = record.best_checkpoint
    if ckpt is None:
        raise UserError(f"trial {record.trial_id} kept no checkpoint of its best epoch; nothing to export")
    best_row = record.best_row or {}

    cfg = run_config(run_dir)
    data = load_dataset(cfg.data, cfg.seed, min_per_label=cfg.generator.few_shot)
    feature_cache = cfg.cache_dir / "features.sqlite"
    generator_path = resolve_generator_model(cfg.generator.model)
    classifier_path = resolve_classifier_model(cfg.classifier.model)
    baseline = pick_baseline(records)

    from ._summary import trial_params

    info: dict[str, Any] = {
        "run": run_dir.name,
        "run_dir": str(run_dir.resolve()),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "picked": "best" if trial_id is None else "trial",
        "trials_in_sweep": len(records),
        "labels": data.labels,
        "trial": {
            "trial_id": record.trial_id,
            "number": record.number,
            "params": trial_params(record),
            "epoch": best_row.get("epoch"),
            "n_real": best_row.get("n_real"),
            "n_synthetic": best_row.get("n_synthetic_used"),
            "validation": _val_metrics(best_row),
            "test": _metrics(record, data, feature_cache),
        },
        "baseline": None,
        "training": {
            "mode": cfg.classifier.mode,
            "epochs": cfg.classifier.epochs,
            "learning_rate": cfg.classifier.learning_rate,
            "batch_size": cfg.classifier.batch_size,
            "max_length": cfg.classifier.max_length,
            "weight_decay": cfg.classifier.weight_decay,
            "seed": cfg.seed,
        },
        "data": {
            "files": dict(data.files),
            "n_train": len(data.train),
            "n_validation": len(data.validation),
            "n_test": len(data.test),
        },
        "models": {
            "generator": {"name": cfg.generator.model, "sha256": sha256_path(generator_path)},
            "classifier": {"name": cfg.classifier.model, "sha256": sha256_path(classifier_path)},
        },
        "versions": package_versions(),
        "git": project_commit(),
    }
    if baseline is not None:
        brow = baseline.best_row or {}
        info["baseline"] = {
            "trial_id": baseline.trial_id,
            "epoch": brow.get("epoch"),
            "validation": _val_metrics(brow),
            "test": _metrics(baseline, data, feature_cache),
        }

    from trainables._checkpoint import load_classifier

    model, tokenizer, meta = load_classifier(ckpt)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        model.save_pretrained(tmp)
        # The pipeline's truncation=True then cuts where the trial did.
        tokenizer.model_max_length = int(meta["max_length"])
        tokenizer.save_pretrained(tmp)
        shutil.copyfile(ckpt / "synthetic.csv", tmp / "synthetic.csv")
        info["files"] = {p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / "synthsweep.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        (tmp / "README.md").write_text(model_card(info))
        follow_umask(tmp)  # mkdtemp and the safetensors writer create owner-only files; a model is for sharing
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
