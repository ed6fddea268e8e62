"""Frozen-encoder features for head mode, computed once per text and cached on disk.

The features are the input of the classifier's final linear layer (for BERT: the pooler
output), captured with a forward hook, so a head trained on them drops straight back into the
``AutoModelForSequenceClassification`` and the exported model scores exactly as the trial did.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sweep._hashing import sha256_text


def final_linear(model) -> torch.nn.Linear:  # noqa: F821
    """The last Linear layer mapping to the label logits (BERT ``classifier``, RoBERTa ``out_proj``)."""
    import torch

    num_labels = model.config.num_labels
    last = None
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == num_labels:
            last = module
    if last is None:
        raise ValueError("classifier has no final linear layer with num_labels outputs")
    return last


def feature_key(classifier_hash: str, max_length: int, seed: int) -> str:
    """Features depend on the weights, the truncation and the seeded init of any fresh pre-head layer."""
    return f"{classifier_hash}:{max_length}:{seed}:identity-pooler"


class FeatureCache:
    def __init__(self, path: str | Path, model_key: str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model_key = model_key
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS features (model_key TEXT, text_sha TEXT, dim INTEGER, vec BLOB, "
            "PRIMARY KEY (model_key, text_sha))"
        )

    def get_many(self, shas: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(shas), 500):
            chunk = list(shas[start : start + 500])
            q = ",".join("?" * len(chunk))
            for sha, vec in self._db.execute(
                f"SELECT text_sha, vec FROM features WHERE model_key=? AND text_sha IN ({q})",
                [self.model_key, *chunk],
            ):
                out[sha] = np.frombuffer(vec, dtype=np.float32)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO features VALUES (?,?,?,?)",
                [(self.model_key, s, v.shape[0], v.astype(np.float32).tobytes()) for s, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


def embed(
    model,
    tokenizer,
    texts: Sequence[str],
    max_length: int,
    device: str = "cpu",
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Inputs of the final linear layer for ``texts`` (model in eval mode, no dropout)."""
    import torch

    head = final_linear(model)
    captured: list[torch.Tensor] = []
    hook = head.register_forward_pre_hook(lambda _m, args: captured.append(args[0].detach()))
    model.eval()
    order = np.argsort([len(t) for t in texts])  # similar lengths batch with less padding
    feats: list[np.ndarray | None] = [None] * len(texts)
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                idx = order[start : start + batch_size]
                enc = tokenizer(
                    [texts[i] for i in idx], truncation=True, max_length=max_length, padding=True, return_tensors="pt"
                ).to(device)
                captured.clear()
                model(**enc)
                batch = captured[-1].float().cpu().numpy()
                for j, i in enumerate(idx):
                    feats[i] = batch[j]
                if progress:
                    progress(len(idx))
    finally:
        hook.remove()
    return np.stack(feats) if feats else np.zeros((0, head.in_features), dtype=np.float32)


def cached_features(
    cache: FeatureCache,
    model,
    tokenizer,
    texts: Sequence[str],
    max_length: int,
    device: str = "cpu",
    progress_factory=None,
) -> np.ndarray:
    shas = [sha256_text(t) for t in texts]
    by_sha = dict(zip(shas, texts))
    have = cache.get_many(list(by_sha))
    todo = [s for s in by_sha if s not in have]
    todo_texts = [by_sha[s] for s in todo]
    if todo_texts:
        # A bar for a handful of texts is noise; the first trial's train+validation set gets one.
        bar = progress_factory(len(todo_texts)) if progress_factory and len(todo_texts) >= 64 else None
        vecs = embed(model, tokenizer, todo_texts, max_length, device, progress=(bar.update if bar else None))
        if bar:
            bar.close()
        new = dict(zip(todo, vecs))
        cache.put_many(new)
        have.update(new)
    return np.stack([have[s] for s in shas])
