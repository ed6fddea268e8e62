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
import platform
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from common import UserError, atomic_dir, sha256_file, sha256_path
from generators import GeneratorBackend
from trainables import EpochRow

from ._format import fmt
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
    """The best trial with synthetic data (by mean validation AUC), or the one ``--trial`` names.

    ``--trial`` is the trial's number as ``run`` and ``status`` show it, its id, or a prefix of
    its id that only it has.
    """
    if trial is None:
        from ._trials import pick_best_synthetic

        best = pick_best_synthetic(records) or pick_best(records)
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
    from trainables import classification_metrics, score_checkpoint

    ckpt = r.best_checkpoint
    if ckpt is None:
        return {}
    return classification_metrics(data.test.y, score_checkpoint(ckpt, data.test.texts, feature_cache), data.labels)


def _val_metrics(row: EpochRow) -> dict[str, Any]:
    return {
        "auc": row.get("val_auc"),
        "auc_sd": row.get("val_auc_sd"),
        "precision": row.get("val_precision"),
        "recall": row.get("val_recall"),
        "f1": row.get("val_f1"),
        "accuracy": row.get("val_accuracy"),
        "per_class": row.get("val_per_class"),
    }


def trial_generator(cfg, params: dict[str, Any]):
    """(name, settings, model path) of the generator a trial really used.

    In a multi-generator sweep ``params["generator"]`` names it; a transformers generator may be
    a model directory.
    """
    from common import resolve_generator_model

    from ._inputs import generator_key

    configs = cfg.generator_configs()
    name = str(params.get("generator") or "")
    if name not in configs:
        name = cfg.searched_generators()[0]
    g = configs[name]
    path = resolve_generator_model(
        g.model, key=f"{generator_key(cfg, name)}.model", allow_dir=g.backend == GeneratorBackend.TRANSFORMERS
    )
    return name, g, path


def _verdict(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "summary.json"
    return json.loads(path.read_text()).get("verdict") if path.is_file() else None


MODELING_FILE = "modeling_synthsweep.py"


def ship_pooling_code(directory: Path, config) -> None:
    """Make a head-mode model loadable by transformers alone (``trust_remote_code=True``).

    The encoder's pooling (mean pooling for all-MiniLM-L6-v2) is no transformers architecture,
    so the model ships its code, the usual Hugging Face way for a custom head: the file
    ``trainables/_pooling.py`` (torch and transformers only) plus a subclass naming the config
    class, and ``auto_map`` in config.json pointing at it.
    """
    from trainables import pooling_source

    base = type(config).__name__  # e.g. BertConfig
    cls = f"Pooled{base.removesuffix('Config')}ForSequenceClassification"
    source = pooling_source()
    source += (
        f"\n\nfrom transformers import {base} as _ExportedConfig  # noqa: E402\n\n\n"
        f"class {cls}(PooledSequenceClassifier):\n    config_class = _ExportedConfig\n"
    )
    (directory / MODELING_FILE).write_text(source, encoding="utf-8")
    cfg_path = directory / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["architectures"] = [cls]
    cfg["auto_map"] = {"AutoModelForSequenceClassification": f"{MODELING_FILE[:-3]}.{cls}"}
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")




_MODES = {
    "head": "frozen encoder with the pooling it was trained with, a linear classifier trained on top",
    "lora": "LoRA adapters trained with the classification head, then merged into the weights",
    "full": "every weight trained",
}


def _verdict_card(verdict: dict[str, Any] | None) -> str:
    if not verdict:
        return "The sweep's verdict was not computed (the search had not finished)."
    rows = "\n".join(
        f"| {name} | {a['test_auc_mean']:.3f} ± {a['test_auc_sd']:.3f} | "
        + (
            ""
            if name == "baseline"
            else f"{a['delta_auc']['mean']:+.3f} [{a['delta_auc']['ci95'][0]:+.3f}, "
            f"{a['delta_auc']['ci95'][1]:+.3f}] | {a['conclusion']}"
        )
        + " |"
        for name, a in verdict["arms"].items()
    )
    return f"""## Verdict of the sweep

Each arm retrained with {verdict["seeds"]} fresh seeds and scored on the test split; differences
from the baseline with 95% paired bootstrap intervals ({verdict["bootstrap"]} resamples).

| arm | test AUC ± SD | Δ AUC [95% CI] | conclusion |
|---|---|---|---|
{rows}

{verdict["sentence"]}"""


def model_card(info: dict[str, Any]) -> str:
    t, b = info["trial"], info.get("baseline")
    prm = t["params"]
    labels = ", ".join(f"`{x}`" for x in info["labels"])
    rows = [("this model", t["validation"], t["test"] or {})]
    if b:
        rows.append(("baseline (no synthetic data)", b["validation"], b["test"] or {}))
    table = "\n".join(
        f"| {name} | {fmt(v.get('auc'))} | {fmt(s.get('auc'))} | {fmt(s.get('precision'))} | {fmt(s.get('recall'))} "
        f"| {fmt(s.get('f1'))} |"
        for name, v, s in rows
    )
    tr = info["training"]
    # Head mode ships its pooling as code (modeling_synthsweep.py): transformers must be allowed to run it.
    remote = ", trust_remote_code=True" if tr["mode"] == "head" else ""
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
The test split ({info["data"]["n_test"]} texts) was never used to train or pick a trial; test
figures are shown only for the verdict's trials (the baseline and the best synthetic trial).
Validation AUC is the mean over the trial's repeats; this model is its first repeat.

| model | validation AUC | test AUC | test precision | test recall | test F1 |
|---|---|---|---|---|---|
{table}

{_verdict_card(info.get("verdict"))}

## Use

```python
from transformers import pipeline

classify = pipeline("text-classification", model="path/to/this/directory", top_k=None{remote})
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
    from common import force_offline

    force_offline()
    run_dir, state = load_run(run_dir)
    out = Path(out)
    _check_out(out)
    records = read_trials(run_dir)
    record = find_trial(records, trial_id)
    ckpt = record.best_checkpoint
    if ckpt is None:
        raise UserError(f"trial {record.trial_id} kept no checkpoint of its best epoch; nothing to export")
    info = export_info(run_dir, records, record, picked="best" if trial_id is None else "trial")
    write_model(ckpt, info, out)
    return out


def export_info(run_dir: Path, records: list[TrialRecord], record: TrialRecord, picked: str) -> dict[str, Any]:
    """``synthsweep.json``: parameters, validation metrics, test metrics of the verdict's trials only,
    the verdict, data and model hashes, package versions and the synthsweep commit."""
    from common import resolve_classifier_model

    from ._data import load_dataset
    from ._resume import recorded_config

    best_row = record.best_row or {}
    cfg = recorded_config(run_dir)
    data = load_dataset(cfg.data, cfg.seed, min_per_label=cfg.generator.few_shot)
    feature_cache = cfg.cache_dir / "features.sqlite"
    from ._trials import trial_params

    params = trial_params(record)
    gen_name, gen_cfg, generator_path = trial_generator(cfg, params)
    classifier_path = resolve_classifier_model(cfg.classifier.model)
    baseline = pick_baseline(records)
    # Test metrics exist only for the verdict's arms, and only once the search has finished.
    verdict = _verdict(run_dir)
    arms = (verdict or {}).get("arms", {})
    scored = {baseline.trial_id if baseline else None, arms.get("best", {}).get("params", {}).get("trial_id")}
    scored.discard(None)
    if verdict is None:
        scored = set()

    info: dict[str, Any] = {
        "run": run_dir.name,
        "run_dir": str(run_dir.resolve()),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "picked": picked,
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
            "test": _metrics(record, data, feature_cache) if record.trial_id in scored else None,
        },
        "verdict": verdict,
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
            "generator": {
                "name": gen_cfg.model,
                "backend": gen_cfg.backend,
                "generator": gen_name or None,
                "sha256": sha256_path(generator_path),
            },
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
            "test": _metrics(baseline, data, feature_cache) if baseline.trial_id in scored else None,
        }

    return info


def write_model(ckpt: Path, info: dict[str, Any], out: Path) -> None:
    """The model directory: weights, config, tokenizer, pooling code (head mode), card, provenance."""
    import transformers

    from trainables import load_classifier

    transformers.logging.disable_progress_bar()  # no "Writing model shards" bar: the command prints one line
    model, tokenizer, meta = load_classifier(ckpt)
    # An empty --out (checked above) is replaced; a failure half-way leaves nothing behind.
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp)
        if meta["mode"] == "head":
            ship_pooling_code(tmp, model.config)
        # The pipeline's truncation=True then cuts where the trial did.
        tokenizer.model_max_length = int(meta["max_length"])
        tokenizer.save_pretrained(tmp)
        shutil.copyfile(ckpt / "synthetic.csv", tmp / "synthetic.csv")
        info["files"] = {p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / "synthsweep.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        (tmp / "README.md").write_text(model_card(info))
        # atomic_dir gives the directory and its files the umask's modes: a model is for sharing.
