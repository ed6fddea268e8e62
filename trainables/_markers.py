"""Relation classification's entity markers as tokens of the classifier (``data.task: relation``).

A tokenizer splits ``<e1>`` into pieces (``<``, ``e``, ``##1``, ``>``), so the classifier would
see markers as noise. ``marked_classifier`` makes, once per encoder and marker set, a copy of the
encoder directory whose tokenizer holds the markers as special tokens and whose embedding matrix
has a row for each. The row is the mean of the marker's pieces' embeddings, not a random draw, so
every node (and the export) builds the same bits; in head mode the encoder stays frozen, and the
markers still tell it where the entities are. Every stage then reads that directory as the
classifier: features, lora/full training, checkpoints and the exported model.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from common import atomic_dir, model_cache_root, sha256_json, sha256_path

_WRITTEN = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
"""Files the marked copy writes itself; the rest (pooling config, sentence-transformers files) is copied."""


def marked_classifier(path: str | Path, markers: Sequence[str]) -> Path:
    """The encoder directory ``path`` with ``markers`` as special tokens (made on first use)."""
    src = Path(path)
    key = sha256_json({"encoder": sha256_path(src), "markers": list(markers)})[:16]
    out = model_cache_root() / "models" / f"marked-{key}"
    if (out / "config.json").is_file():
        return out
    with atomic_dir(out, exists="keep") as tmp:  # trials on one node may build it at once
        for item in src.iterdir():
            if item.name in _WRITTEN:
                continue
            copy = shutil.copytree if item.is_dir() else shutil.copyfile
            copy(item, tmp / item.name)
        _write_marked(src, list(markers), tmp)
    return out


def _write_marked(src: Path, markers: list[str], out: Path) -> None:
    import torch
    import transformers
    from transformers import AutoModel, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(src, local_files_only=True)
    model = AutoModel.from_pretrained(src, local_files_only=True)
    pieces = [tokenizer(m, add_special_tokens=False)["input_ids"] for m in markers]
    with torch.no_grad():
        old = model.get_input_embeddings().weight
        rows = [old[ids].mean(dim=0).clone() for ids in pieces]
        tokenizer.add_special_tokens({"additional_special_tokens": markers})
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        emb = model.get_input_embeddings().weight
        for m, row in zip(markers, rows):
            emb[tokenizer.convert_tokens_to_ids(m)] = row
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def marker_ids(tokenizer: object, markers: Sequence[str]) -> list[int]:
    """Each marker's single token id; raises when the tokenizer would split one (an unmarked copy)."""
    ids = []
    for m in markers:
        got = tokenizer(m, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
        if len(got) != 1:
            raise ValueError(f"the tokenizer splits the entity marker {m} into {len(got)} tokens")
        ids.append(got[0])
    return ids
