"""Rebuild a trial's classifier from its checkpoint and score texts with it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._classifier import HEAD_FILE, MODEL_DIR, load_fresh


def read_meta(ckpt: str | Path) -> dict:
    return json.loads((Path(ckpt) / "trial.json").read_text())


def load_classifier(ckpt: str | Path):
    """(model, tokenizer, meta): a plain ``AutoModelForSequenceClassification`` in eval mode."""
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from ._features import final_linear

    ckpt = Path(ckpt)
    meta = read_meta(ckpt)
    if meta["mode"] == "head":
        # Same seed, same base weights: the frozen part is bit-identical to the trial's.
        model, tokenizer = load_fresh(meta["classifier_path"], meta["labels"], meta["seed"], "head")
        final_linear(model).load_state_dict(load_file(str(ckpt / HEAD_FILE)))
    else:
        model = AutoModelForSequenceClassification.from_pretrained(ckpt / MODEL_DIR, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(ckpt / MODEL_DIR, local_files_only=True)
    model.eval()
    return model, tokenizer, meta


def predict_proba(model, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 32) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(
                list(texts[start : start + batch_size]),
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            out.append(torch.softmax(model(**enc).logits.float(), dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels))


def score_checkpoint(ckpt: str | Path, texts: Sequence[str], feature_cache: str | Path | None = None) -> np.ndarray:
    """Class probabilities of ``texts`` under a trial checkpoint.

    Head-mode checkpoints reuse the sweep's feature cache when given one (same numbers as a full
    forward pass, without re-encoding texts seen before).
    """
    import torch

    model, tokenizer, meta = load_classifier(ckpt)
    if meta["mode"] == "head" and feature_cache is not None:
        from ._features import FeatureCache, cached_features, feature_key, final_linear

        cache = FeatureCache(feature_cache, feature_key(meta["classifier_hash"], meta["max_length"], meta["seed"]))
        X = cached_features(cache, model, tokenizer, texts, meta["max_length"])
        cache.close()
        with torch.inference_mode():
            return torch.softmax(final_linear(model)(torch.from_numpy(X)), dim=-1).numpy()
    return predict_proba(model, tokenizer, texts, meta["max_length"])
