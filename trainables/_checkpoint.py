"""Rebuild a trial's classifier from its checkpoint and score texts with it.

A checkpoint holds every repeat's head (head mode) or the first repeat's model (lora/full);
the first repeat, trained with the trial's own seed, is the one export ships and these
functions score.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._classifier import HEAD_FILE, MODEL_DIR, MULTI_LABEL, label_maps, probabilities, repeat_dir
from ._layout import TRIAL_META_FILE


def read_meta(ckpt: str | Path) -> dict:
    return json.loads((Path(ckpt) / TRIAL_META_FILE).read_text())


def pooled_model(classifier_path: str, labels: Sequence[str], head_file: str | Path, multilabel: bool = False) -> Any:
    """Head mode as one transformers model: the frozen encoder, its pooling and the trained linear layer
    (``multilabel``: its config says so, so a pipeline applies a sigmoid per label)."""
    import transformers
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    from ._pooling import PooledSequenceClassifier
    from ._pooling_config import read_pooling

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # "Loading weights" bars in a command's output
    config = AutoConfig.from_pretrained(classifier_path, **label_maps(labels), local_files_only=True)
    if multilabel:
        config.problem_type = MULTI_LABEL
    config.synthsweep_pooling, config.synthsweep_normalize = read_pooling(classifier_path)
    model = PooledSequenceClassifier(config)
    model.encoder.load_state_dict(AutoModel.from_pretrained(classifier_path, local_files_only=True).state_dict())
    model.classifier.load_state_dict(load_file(str(head_file)))
    return model.eval()


def load_classifier(ckpt: str | Path) -> tuple[Any, Any, dict[str, Any]]:
    """(model, tokenizer, meta) of the checkpoint's first repeat, in eval mode."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    ckpt = Path(ckpt)
    meta = read_meta(ckpt)
    first = repeat_dir(ckpt, 0)
    if meta["mode"] == "head":
        model = pooled_model(meta["classifier_path"], meta["labels"], first / HEAD_FILE, bool(meta.get("multilabel")))
        tokenizer = AutoTokenizer.from_pretrained(meta["classifier_path"], local_files_only=True)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(first / MODEL_DIR, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(first / MODEL_DIR, local_files_only=True)
    model.eval()
    return model, tokenizer, meta


def predict_proba(
    model: Any, tokenizer: Any, texts: Sequence[str], max_length: int, batch_size: int = 32
) -> np.ndarray:
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
            multilabel = model.config.problem_type == MULTI_LABEL
            out.append(probabilities(model(**enc).logits.float(), multilabel).numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels))


def score_checkpoint(ckpt: str | Path, texts: Sequence[str], feature_cache: str | Path | None = None) -> np.ndarray:
    """Class probabilities of ``texts`` under the checkpoint's first repeat.

    Head-mode checkpoints reuse the sweep's feature cache when given one (same numbers as a full
    forward pass, without re-encoding texts seen before).
    """
    import torch

    meta = read_meta(ckpt)
    if meta["mode"] == "head" and feature_cache is not None:
        from safetensors.torch import load_file

        from ._features import FrozenEncoder

        encoder = FrozenEncoder(meta["classifier_path"], meta["classifier_hash"], meta["max_length"], feature_cache)
        try:
            X = encoder.features(list(texts))
        finally:
            encoder.close()
        head = load_file(str(repeat_dir(Path(ckpt), 0) / HEAD_FILE))
        with torch.inference_mode():
            logits = torch.from_numpy(X) @ head["weight"].T + head["bias"]
            return probabilities(logits, bool(meta.get("multilabel"))).numpy()
    model, tokenizer, meta = load_classifier(ckpt)
    return predict_proba(model, tokenizer, texts, meta["max_length"])
