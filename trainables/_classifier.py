"""Build fresh classifiers and train them on a weighted real+synthetic mix.

Three modes share one interface: ``fit_epoch`` then ``predict_proba``, and ``save`` / ``load``
for checkpoints.

* head: encoder frozen; pooled features cached once per text; a linear classifier trains on them.
* lora: peft LoRA adapters on the attention projections plus the classification head.
* full: every weight trains.

``Repeats`` trains several of them, one seed each, in lockstep on one mix: a trial's score is
their mean, and the spread between seeds is recorded instead of hidden.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._layout import TRIAL_META_FILE
from ._params import ClassifierSettings

HEAD_FILE = "head.safetensors"
MODEL_DIR = "model"
TRAIN_STATE_FILE = "train_state.pt"
"""Optimizer and shuffling state (head mode), so a resumed trial continues exactly where it stopped."""


def repeat_dir(directory: Path, k: int) -> Path:
    """Where repeat ``k`` of a trial keeps its part of a checkpoint."""
    return Path(directory) / f"repeat_{k}"


def mix_weights(n_real: int, n_synth: int, real_ratio: float, max_synthetic_weight: float | None = None) -> np.ndarray:
    """Per-example loss weights, real examples first, mean weight 1.

    Real examples carry ``real_ratio`` of the total weight, unless that would give one synthetic
    example more than ``max_synthetic_weight`` times a real example's weight: then the synthetic
    weight is capped and the real share rises (``TrainingMix.real_share`` says how far). With
    ``real_ratio`` 1 the synthetic examples get weight 0 (``TrainingMix`` leaves them out).
    """
    if n_synth == 0 or real_ratio >= 1.0:
        return np.concatenate([np.ones(n_real), np.zeros(n_synth)]).astype(np.float32)
    a = real_ratio / n_real
    b = (1.0 - real_ratio) / n_synth
    if max_synthetic_weight is not None:
        b = min(b, max_synthetic_weight * a)
    scale = (n_real + n_synth) / (n_real * a + n_synth * b)
    return np.concatenate([np.full(n_real, a * scale), np.full(n_synth, b * scale)]).astype(np.float32)


def balanced_class_weights(y: Sequence[int] | np.ndarray) -> np.ndarray:
    """Per-example weights giving every class present the same total weight (mean weight 1).

    Label sets (0/1 rows): a text weighs the mean of ``n / (k * count)`` over its labels (1 without
    a label), normalised to mean 1, so texts of rare labels weigh more."""
    labels = np.asarray(y)
    if labels.ndim == 2:
        counts = np.maximum(labels.sum(axis=0), 1)
        per_label = len(labels) / (labels.shape[1] * counts)
        n_labels = labels.sum(axis=1)
        w = np.where(n_labels > 0, (labels * per_label).sum(axis=1) / np.maximum(n_labels, 1), 1.0)
        return (w / w.mean()).astype(np.float32)
    classes, counts = np.unique(labels, return_counts=True)
    per_class = dict(zip(classes.tolist(), (len(labels) / (len(classes) * counts)).tolist()))
    return np.array([per_class[int(c)] for c in labels], dtype=np.float32)


@dataclass(frozen=True)
class TrainingMix:
    """What a classifier trains on: the real examples first, then the added (synthetic or control) ones."""

    texts: list[str]
    y: np.ndarray
    weights: np.ndarray
    n_real: int

    @property
    def n_added(self) -> int:
        return len(self.texts) - self.n_real

    @property
    def real_share(self) -> float:
        """Share of the total loss weight carried by the real examples."""
        total = float(self.weights.sum())
        return float(self.weights[: self.n_real].sum()) / total if total else 1.0

    @classmethod
    def build(
        cls,
        real_texts: Sequence[str],
        real_y: Sequence[int] | Sequence[Sequence[int]] | np.ndarray,
        added_texts: Sequence[str] = (),
        added_y: Sequence[int] | np.ndarray = (),
        real_ratio: float = 1.0,
        max_added_weight: float | None = None,
    ) -> TrainingMix:
        """The weighted mix; added examples of weight 0 are left out (they would only change the batching)."""
        w = mix_weights(len(real_texts), len(added_texts), real_ratio, max_added_weight)
        keep = len(real_texts) + (len(added_texts) if len(added_texts) and w[-1] > 0 else 0)
        texts = [*real_texts, *added_texts][:keep]
        real = np.asarray(real_y, dtype=np.int64)
        added = np.asarray(added_y, dtype=np.int64).reshape((-1, *real.shape[1:]))  # label sets: (0, k) when none
        y = np.concatenate([real, added])[:keep]
        return cls(texts, y, w[:keep], len(real_texts))


def label_maps(labels: Sequence[str]) -> dict[str, Any]:
    """The config keys that name a classifier's outputs (``num_labels``, ``id2label``, ``label2id``)."""
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {lab: i for i, lab in enumerate(labels)},
    }


def load_fresh(path: str, labels: Sequence[str], seed: int, multilabel: bool = False) -> tuple[Any, Any]:
    """A freshly initialised sequence classifier and its tokenizer (lora and full mode; head seeded);
    ``multilabel``: its config says so (``problem_type``), so a pipeline applies a sigmoid per label."""
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    transformers.logging.set_verbosity_error()  # "newly initialized weights" is expected here
    transformers.logging.disable_progress_bar()
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(
        path,
        **label_maps(labels),
        problem_type=MULTI_LABEL if multilabel else None,
        local_files_only=True,
        # A base model saved with another head size (or none) still gives a fresh head here.
        ignore_mismatched_sizes=True,
    )
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    return model, tokenizer


MULTI_LABEL = "multi_label_classification"
"""transformers' ``problem_type`` of a classifier with one sigmoid output per label."""


def weighted_loss(logits, y, w):
    """Cross-entropy over classes (``y`` class indices), or binary cross-entropy per label averaged over
    the labels (``y`` 0/1 rows: label sets), each text weighted by ``w``."""
    import torch.nn.functional as F

    if y.ndim == 2:
        per_text = F.binary_cross_entropy_with_logits(logits, y.float(), reduction="none").mean(dim=1)
        return (per_text * w).mean()
    return (F.cross_entropy(logits, y, reduction="none") * w).mean()


def probabilities(logits, multilabel: bool):
    """Class probabilities (softmax), or each label's own probability (sigmoid) for label sets."""
    import torch

    return torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=-1)


class HeadClassifier:
    """A linear classifier over the frozen encoder's pooled features."""

    def __init__(self, settings: ClassifierSettings, dim: int, num_labels: int, seed: int):
        import torch

        self.multilabel = settings.multilabel
        self.gen = torch.Generator().manual_seed(seed)
        self.head = torch.nn.Linear(dim, num_labels)
        with torch.no_grad():  # the seed decides the initialisation as well as the shuffling
            self.head.weight.normal_(0.0, 0.02, generator=self.gen)
            self.head.bias.zero_()
        self.batch_size = settings.batch_size
        self.opt = torch.optim.AdamW(
            self.head.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
        )

    def fit_epoch(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
        import torch

        Xt, yt, wt = torch.from_numpy(X), torch.from_numpy(y).long(), torch.from_numpy(w)
        perm = torch.randperm(len(Xt), generator=self.gen)
        total = 0.0
        for start in range(0, len(Xt), self.batch_size):
            b = perm[start : start + self.batch_size]
            self.opt.zero_grad()
            loss = weighted_loss(self.head(Xt[b]), yt[b], wt[b])
            loss.backward()
            self.opt.step()
            total += loss.item() * len(b)
        return total / max(1, len(Xt))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return probabilities(self.head(torch.from_numpy(X)), self.multilabel).numpy()

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

    def __init__(self, settings: ClassifierSettings, labels: Sequence[str], seed: int, device: str):
        import torch

        model, tokenizer = load_fresh(settings.path, labels, seed, settings.multilabel)
        self.multilabel = settings.multilabel
        mode, lora_r = settings.mode, settings.lora_r
        if mode == "lora":
            from peft import LoraConfig, TaskType, get_peft_model

            model = get_peft_model(
                model,
                LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.1),
            )
        self.model = model.to(device)
        self.tokenizer, self.mode, self.device = tokenizer, mode, device
        self.batch_size, self.max_length = settings.batch_size, settings.max_length
        self.gen = torch.Generator().manual_seed(seed)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)

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
            loss = weighted_loss(logits, yt[b], wt[b])
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
                out.append(probabilities(logits.float(), self.multilabel).cpu().numpy())
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


class Repeats:
    """Classifiers of one mix, one seed each, trained in lockstep (one epoch of each, then the next)."""

    def __init__(self, members: list[Any], seeds: Sequence[int]):
        self.members, self.seeds = members, list(seeds)

    @classmethod
    def build(
        cls, settings: ClassifierSettings, labels: Sequence[str], seeds: Sequence[int], dim: int, device: str
    ) -> Repeats:
        if settings.mode == "head":
            return cls([HeadClassifier(settings, dim, len(labels), s) for s in seeds], seeds)
        return cls([TunedClassifier(settings, labels, s, device) for s in seeds], seeds)

    def fit_epoch(self, inputs: Any, y: np.ndarray, w: np.ndarray) -> float:
        return float(np.mean([m.fit_epoch(inputs, y, w) for m in self.members]))

    def fit_epoch_each(self, parts: Sequence[tuple[Any, np.ndarray, np.ndarray]]) -> float:
        """One epoch of each member on its own (inputs, labels, weights): a different draw per seed."""
        if len(parts) != len(self.members):
            raise ValueError(f"{len(self.members)} members need as many training sets, got {len(parts)}")
        return float(np.mean([m.fit_epoch(*part) for m, part in zip(self.members, parts)]))

    def predict_proba(self, inputs: Any) -> list[np.ndarray]:
        return [m.predict_proba(inputs) for m in self.members]

    def save(self, directory: Path) -> None:
        """Every head (they are small); of fine-tuned models only the first (the one export ships)."""
        members = self.members if isinstance(self.members[0], HeadClassifier) else self.members[:1]
        for k, m in enumerate(members):
            target = repeat_dir(directory, k)
            target.mkdir(parents=True, exist_ok=True)
            m.save(target)

    def load(self, directory: Path) -> bool:
        """Continue from a checkpoint; False (start over) unless every member's state is there."""
        return all(m.load(repeat_dir(directory, k)) for k, m in enumerate(self.members))


def write_trial_meta(directory: Path, meta: dict) -> None:
    (directory / TRIAL_META_FILE).write_text(json.dumps(meta, indent=2, default=str))
