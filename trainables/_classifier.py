"""Build a fresh classifier per trial and train it on a weighted real+synthetic mix.

Three modes share one interface (``Classifier``): ``fit_epoch`` then ``predict_proba``, and
``save`` / ``load`` for checkpoints.

* head: encoder frozen; features cached once per text; only the final linear layer trains.
* lora: peft LoRA adapters on the attention projections plus the classification head.
* full: every weight trains.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HEAD_FILE = "head.safetensors"
MODEL_DIR = "model"
TRAIN_STATE_FILE = "train_state.pt"
"""Optimizer and shuffling state (head mode), so a resumed trial continues exactly where it stopped."""


def mix_weights(n_real: int, n_synth: int, real_ratio: float) -> np.ndarray:
    """Per-example loss weights: real examples carry ``real_ratio`` of the total, mean weight 1."""
    total = n_real + n_synth
    if n_synth == 0:
        return np.ones(n_real, dtype=np.float32)
    w_real = real_ratio * total / n_real
    w_synth = (1.0 - real_ratio) * total / n_synth
    return np.concatenate([np.full(n_real, w_real), np.full(n_synth, w_synth)]).astype(np.float32)


def identity_pooler(model) -> bool:
    """Make a BERT-style pooler pass the [CLS] state through (tanh only); True if there was one.

    Sentence-embedding checkpoints such as all-MiniLM-L6-v2 never trained their pooler, and its
    output is near useless as a frozen feature (validation AUC 0.48 against 0.55 on the demo).
    With the dense layer set to the identity the model is still a plain
    ``BertForSequenceClassification``, so head mode exports without custom code.
    """
    import torch

    for name, module in model.named_modules():
        dense = getattr(module, "dense", None)
        if name.endswith("pooler") and isinstance(dense, torch.nn.Linear) and dense.in_features == dense.out_features:
            with torch.no_grad():
                dense.weight.copy_(torch.eye(dense.in_features))
                dense.bias.zero_()
            return True
    return False


def load_fresh(path: str, labels: Sequence[str], seed: int, mode: str = "full"):
    """A freshly initialised sequence classifier and its tokenizer (head seeded by ``seed``)."""
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    transformers.logging.set_verbosity_error()  # "newly initialized weights" is expected here
    transformers.logging.disable_progress_bar()
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        path,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)},
        local_files_only=True,
        # A base model saved with another head size (or none) still gives a fresh head here.
        ignore_mismatched_sizes=True,
    )
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if mode == "head":
        identity_pooler(model)
    return model, tokenizer


def _weighted_ce(logits, y, w):
    import torch.nn.functional as F

    return (F.cross_entropy(logits, y, reduction="none") * w).mean()


class HeadClassifier:
    """Frozen encoder + trainable final linear layer over cached features."""

    def __init__(self, model, learning_rate: float, weight_decay: float, batch_size: int, seed: int):
        import torch

        from ._features import final_linear

        self.model = model
        self.head = final_linear(model)
        self.batch_size = batch_size
        self.gen = torch.Generator().manual_seed(seed)
        self.opt = torch.optim.AdamW(self.head.parameters(), lr=learning_rate, weight_decay=weight_decay)

    def fit_epoch(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
        import torch

        Xt, yt, wt = torch.from_numpy(X), torch.from_numpy(y).long(), torch.from_numpy(w)
        perm = torch.randperm(len(Xt), generator=self.gen)
        total = 0.0
        for start in range(0, len(Xt), self.batch_size):
            b = perm[start : start + self.batch_size]
            self.opt.zero_grad()
            loss = _weighted_ce(self.head(Xt[b]), yt[b], wt[b])
            loss.backward()
            self.opt.step()
            total += loss.item() * len(b)
        return total / max(1, len(Xt))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return torch.softmax(self.head(torch.from_numpy(X)), dim=-1).numpy()

    def save(self, directory: Path) -> None:
        import torch
        from safetensors.torch import save_file

        save_file({k: v.detach().contiguous() for k, v in self.head.state_dict().items()}, str(directory / HEAD_FILE))
        torch.save({"optimizer": self.opt.state_dict(), "rng": self.gen.get_state()}, directory / TRAIN_STATE_FILE)

    def load(self, directory: Path) -> bool:
        """Continue from a checkpoint ``save`` wrote; False if it lacks the training state."""
        import torch
        from safetensors.torch import load_file

        if not (directory / TRAIN_STATE_FILE).is_file():
            return False
        self.head.load_state_dict(load_file(str(directory / HEAD_FILE)))
        state = torch.load(directory / TRAIN_STATE_FILE, weights_only=True)
        self.opt.load_state_dict(state["optimizer"])
        self.gen.set_state(state["rng"])
        return True


class TunedClassifier:
    """LoRA or full fine-tuning of the whole sequence classifier."""

    def __init__(
        self,
        model,
        tokenizer,
        mode: str,
        learning_rate: float,
        weight_decay: float,
        batch_size: int,
        max_length: int,
        lora_r: int,
        seed: int,
        device: str,
    ):
        import torch

        if mode == "lora":
            from peft import LoraConfig, TaskType, get_peft_model

            model = get_peft_model(
                model,
                LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.1),
            )
        self.model = model.to(device)
        self.tokenizer, self.mode, self.device = tokenizer, mode, device
        self.batch_size, self.max_length = batch_size, max_length
        self.gen = torch.Generator().manual_seed(seed)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay)

    def _encode(self, texts: Sequence[str]):
        return self.tokenizer(
            list(texts), truncation=True, max_length=self.max_length, padding=True, return_tensors="pt"
        ).to(self.device)

    def fit_epoch(self, texts: Sequence[str], y: np.ndarray, w: np.ndarray) -> float:
        import torch

        self.model.train()
        perm = torch.randperm(len(texts), generator=self.gen).tolist()
        yt, wt = torch.from_numpy(y).long().to(self.device), torch.from_numpy(w).to(self.device)
        total = 0.0
        for start in range(0, len(perm), self.batch_size):
            b = perm[start : start + self.batch_size]
            self.opt.zero_grad()
            logits = self.model(**self._encode([texts[i] for i in b])).logits
            loss = _weighted_ce(logits, yt[b], wt[b])
            loss.backward()
            self.opt.step()
            total += loss.item() * len(b)
        return total / max(1, len(perm))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.model.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), 32):
                logits = self.model(**self._encode(texts[start : start + 32])).logits
                out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.num_labels))

    def load(self, directory: Path) -> bool:
        """LoRA/full checkpoints hold a merged model and no optimizer state: the trial restarts."""
        return False

    def save(self, directory: Path) -> None:
        target = directory / MODEL_DIR
        # LoRA is merged into a copy so the checkpoint is a plain model, as the export needs.
        model = self.model
        if self.mode == "lora":
            import copy

            model = copy.deepcopy(self.model).merge_and_unload()
        model.save_pretrained(target, safe_serialization=True)
        self.tokenizer.save_pretrained(target)


def write_trial_meta(directory: Path, meta: dict) -> None:
    (directory / "trial.json").write_text(json.dumps(meta, indent=2, default=str))
