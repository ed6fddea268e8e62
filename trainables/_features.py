"""Frozen-encoder features for head mode, computed once per text and cached on disk.

The features are the encoder's pooled sentence vectors (``_pooling``: the pooling the checkpoint
was trained with); the exported model (``PooledSequenceClassifier``) computes the same vectors,
so it scores exactly as the trial did.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from common import sha256_text


def feature_key(classifier_hash: str, max_length: int, pooling: tuple[str, bool]) -> str:
    """Features depend on the encoder's weights, the truncation and the pooling."""
    mode, normalize = pooling
    return f"{classifier_hash}:{max_length}:{mode}{'+norm' if normalize else ''}"


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


_LOADED: dict[tuple[str, str], tuple] = {}
"""(model path, device) -> (frozen encoder, tokenizer) in this process."""


class FrozenEncoder:
    """The frozen encoder of head mode: pooled sentence features, computed once per text and cached."""

    def __init__(self, path: str, classifier_hash: str, max_length: int, cache_path: str | Path | None, device="cpu"):
        from ._pooling_config import read_pooling

        self.path = path
        self.pooling = read_pooling(path)
        self.max_length, self.device = max_length, device
        # A FeatureCache here, or (in a sweep) a RemoteFeatureCache talking to the store actor.
        self.cache: Any = (
            FeatureCache(cache_path, feature_key(classifier_hash, max_length, self.pooling)) if cache_path else None
        )

    @property
    def dim(self) -> int:
        import json

        with open(Path(self.path) / "config.json", encoding="utf-8") as f:
            return int(json.load(f)["hidden_size"])

    def _loaded(self):
        """The encoder and tokenizer, loaded once per process (a re-used trial actor keeps them).

        Loaded only when a text is missing from the cache: a warm sweep never loads the encoder.
        It is frozen and only read, so sharing it between trials changes no result.
        """
        key = (self.path, self.device)
        if key not in _LOADED:
            import transformers
            from transformers import AutoModel, AutoTokenizer

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            model = AutoModel.from_pretrained(self.path, local_files_only=True).to(self.device).eval()
            _LOADED[key] = (model, AutoTokenizer.from_pretrained(self.path, local_files_only=True))
        return _LOADED[key]

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Pooled features of ``texts`` (no cache)."""
        import torch

        from ._pooling import pool

        model, tokenizer = self._loaded()
        order = np.argsort([len(t) for t in texts])  # similar lengths batch with less padding
        feats: list[np.ndarray | None] = [None] * len(texts)
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                idx = order[start : start + batch_size]
                enc = tokenizer(
                    [texts[i] for i in idx],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                ).to(self.device)
                hidden = model(**enc).last_hidden_state
                batch = pool(hidden, enc["attention_mask"], *self.pooling).float().cpu().numpy()
                for j, i in enumerate(idx):
                    feats[i] = batch[j]
                if progress:
                    progress(len(idx))
        return np.stack(feats).astype(np.float32) if feats else np.zeros((0, self.dim), dtype=np.float32)

    def features(self, texts: Sequence[str], progress_factory: Callable[[int], Any] | None = None) -> np.ndarray:
        """Pooled features of ``texts``, from the cache where it has them."""
        if self.cache is None:
            return self.embed(texts)
        shas = [sha256_text(t) for t in texts]
        by_sha = dict(zip(shas, texts))
        have = self.cache.get_many(list(by_sha))
        todo = [s for s in by_sha if s not in have]
        if todo:
            # A bar for a handful of texts is noise; the first trial's train+validation set gets one.
            bar = progress_factory(len(todo)) if progress_factory and len(todo) >= 64 else None
            vecs = self.embed([by_sha[s] for s in todo], progress=(bar.update if bar else None))
            if bar:
                bar.close()
            new = dict(zip(todo, vecs))
            self.cache.put_many(new)
            have.update(new)
        return np.stack([have[s] for s in shas]) if shas else np.zeros((0, self.dim), dtype=np.float32)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
