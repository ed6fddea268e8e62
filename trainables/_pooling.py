"""Sentence-embedding pooling, as the encoder checkpoint was trained with it.

Sentence-transformers checkpoints (all-MiniLM-L6-v2 among them) are trained with mean pooling
over the token states, then L2 normalisation; their ``[CLS]`` state and BERT pooler were never
trained for use as a sentence vector (on the demo task, frozen mean-pooled features gave test AUC
0.663 ± 0.029, the ``[CLS]`` state 0.582 ± 0.029). Head mode reads the pooling from the
checkpoint's ``1_Pooling/config.json`` and ``modules.json`` (``_pooling_config``: no torch or
transformers import, so a trial whose features are all cached imports neither) and uses mean
pooling for an encoder without them.

This file imports only torch and transformers: an exported head-mode model ships it as
``modeling_synthsweep.py`` so ``transformers`` loads the model with ``trust_remote_code=True``
and no synthsweep installed.
"""

from __future__ import annotations

import torch
from transformers import AutoModel, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str, normalize: bool) -> torch.Tensor:
    """One vector per sequence from the token states (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "cls":
        out = hidden[:, 0]
    elif mode == "max":
        out = hidden.masked_fill(mask == 0, torch.finfo(hidden.dtype).min).max(dim=1).values
    else:
        summed = (hidden * mask).sum(dim=1)
        count = mask.sum(dim=1).clamp(min=1e-9)
        out = summed / (count.sqrt() if mode == "mean_sqrt_len" else count)
    if normalize:
        out = torch.nn.functional.normalize(out, p=2, dim=1)
    return out


class PooledSequenceClassifier(PreTrainedModel):
    """An encoder, its pooling and a linear classifier: what head mode trains, as a transformers model.

    The pooling is read from ``config.synthsweep_pooling`` and ``config.synthsweep_normalize``.
    """

    base_model_prefix = "encoder"

    def __init__(self, config):
        super().__init__(config)
        self.encoder = AutoModel.from_config(config)
        self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def _init_weights(self, module):  # every weight comes from the checkpoint
        pass

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: object,
    ) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        features = pool(hidden, attention_mask, self.config.synthsweep_pooling, bool(self.config.synthsweep_normalize))
        logits = self.classifier(features)
        loss = None
        if labels is not None and self.config.problem_type == "multi_label_classification":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.float())
        elif labels is not None:
            loss = torch.nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)
