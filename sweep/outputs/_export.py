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

from common import UserError, atomic_dir, force_offline, resolve_classifier_model, sha256_file, sha256_path
from trainables import SYNTHETIC_FILE, EpochRow

from ..config import GeneratorConfig, SweepConfig
from ..inputs import Dataset, generator_path, sweep_dataset
from ..rundir import Selection, TrialRecord, load_run, read_trials, recorded_config, select, trial_params
from ..verdict import Verdict
from ._card import model_card
from ._summary_model import read_summary, recorded_selection

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
    root = Path(__file__).resolve().parents[2]
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


def find_trial(records: list[TrialRecord], trial: str | None, selection: Selection | None = None) -> TrialRecord:
    """The best trial with synthetic data (``selection``, by default chosen from ``records``), or the
    one ``--trial`` names: the trial's number as ``run`` and ``status`` show it, its id, or a prefix
    of its id that only it has.
    """
    if trial is None:
        best = (selection or select(records)).shown
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


def _test_metrics(r: TrialRecord, data: Dataset, feature_cache: Path) -> dict[str, Any]:
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


def trial_generator(cfg: SweepConfig, params: dict[str, Any]) -> tuple[str, GeneratorConfig, Path]:
    """(name, settings, model path) of the generator a trial really used.

    In a multi-generator sweep ``params["generator"]`` names it; a transformers generator may be
    a model directory.
    """
    configs = cfg.generator_configs()
    name = str(params.get("generator") or "")
    if name not in configs:
        name = cfg.searched_generators()[0]
    return name, configs[name], generator_path(cfg, name)


MODELING_FILE = "modeling_synthsweep.py"


def ship_pooling_code(directory: Path, config: Any) -> None:
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


def export_trial(run_dir: str | Path, out: str | Path, trial_id: str | None = None) -> Path:
    """Write ``trial_id`` (default: the best trial) of ``run_dir`` as a model directory at ``out``."""
    force_offline()
    run_dir, _ = load_run(run_dir)
    out = Path(out)
    _check_out(out)
    records = read_trials(run_dir)
    summary = read_summary(run_dir)
    selection = recorded_selection(records, summary)
    record = find_trial(records, trial_id, selection)
    ckpt = record.best_checkpoint
    if ckpt is None:
        raise UserError(f"trial {record.trial_id} kept no checkpoint of its best epoch; nothing to export")
    verdict = summary.verdict if summary else None
    info = export_info(run_dir, records, record, selection, verdict, picked="best" if trial_id is None else "trial")
    write_model(ckpt, info, verdict, out)
    return out


def _trial_block(r: TrialRecord, test: dict[str, Any] | None) -> dict[str, Any]:
    row = r.best_row or {}
    return {
        "trial_id": r.trial_id,
        "number": r.number,
        "params": trial_params(r),
        "epoch": row.get("epoch"),
        "n_real": row.get("n_real"),
        "n_synthetic": row.get("n_synthetic_used"),
        "validation": _val_metrics(row),
        "test": test,
    }


def _baseline_block(r: TrialRecord | None, test: dict[str, Any] | None) -> dict[str, Any] | None:
    if r is None:
        return None
    row = r.best_row or {}
    return {"trial_id": r.trial_id, "epoch": row.get("epoch"), "validation": _val_metrics(row), "test": test}


def _training_block(cfg: SweepConfig) -> dict[str, Any]:
    c = cfg.classifier
    return {
        "mode": c.mode,
        "epochs": c.epochs,
        "learning_rate": c.learning_rate,
        "batch_size": c.batch_size,
        "max_length": c.max_length,
        "weight_decay": c.weight_decay,
        "seed": cfg.seed,
    }


def _models_block(cfg: SweepConfig, record: TrialRecord) -> dict[str, Any]:
    params = trial_params(record)
    gen_name, gen_cfg, gen_path = trial_generator(cfg, params)
    return {
        "generator": {
            "name": gen_cfg.model,
            "backend": gen_cfg.backend,
            "generator": gen_name or None,
            "sha256": sha256_path(gen_path),
            # How its examples were written: a file's rows are neither generated nor paraphrased.
            "augment": None if gen_cfg.is_file else params.get("augment") or gen_cfg.augment,
        },
        "classifier": {
            "name": cfg.classifier.model,
            "sha256": sha256_path(resolve_classifier_model(cfg.classifier.model)),
        },
    }


def export_info(
    run_dir: Path,
    records: list[TrialRecord],
    record: TrialRecord,
    selection: Selection,
    verdict: Verdict | None,
    picked: str,
) -> dict[str, Any]:
    """``synthsweep.json``: parameters, validation metrics, test metrics of the verdict's trials only
    (once the verdict exists), the verdict, data and model hashes, package versions, the commit."""
    cfg = recorded_config(run_dir)
    data = sweep_dataset(cfg)
    scored = {r.trial_id for r in (selection.baseline, selection.best) if r is not None} if verdict else set()

    def test(r: TrialRecord | None) -> dict[str, Any] | None:
        return _test_metrics(r, data, cfg.feature_cache) if r is not None and r.trial_id in scored else None

    return {
        "run": run_dir.name,
        "run_dir": str(run_dir.resolve()),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "picked": picked,
        "trials_in_sweep": len(records),
        "labels": data.labels,
        "trial": _trial_block(record, test(record)),
        "verdict": verdict.model_dump(mode="json") if verdict else None,
        "baseline": _baseline_block(selection.baseline, test(selection.baseline)),
        "training": _training_block(cfg),
        "data": {
            "task": cfg.data.task,
            "files": dict(data.files),
            "n_train": len(data.train),
            "n_validation": len(data.validation),
            "n_test": len(data.test),
        },
        "models": _models_block(cfg, record),
        "versions": package_versions(),
        "git": project_commit(),
    }


def write_model(ckpt: Path, info: dict[str, Any], verdict: Verdict | None, out: Path) -> None:
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
        shutil.copyfile(ckpt / SYNTHETIC_FILE, tmp / SYNTHETIC_FILE)
        info["files"] = {p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / "synthsweep.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        (tmp / "README.md").write_text(model_card(info, verdict))
        # atomic_dir gives the directory and its files the umask's modes: a model is for sharing.
