"""Deterministic few-shot prompts and seeds: the same request always yields the same text."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._types import GenerationRequest


def stable_int(*parts: object, bits: int = 31) -> int:
    """A process-independent integer from ``parts`` (Python's hash() is salted per process)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (1 << bits)


def temperature_key(temperature: float) -> int:
    """Temperatures live on a 0.1 grid; tenths are an exact cache key."""
    return int(round(float(temperature) * 10))


CUT_MARK = " ..."
"""Ends a few-shot example cut at ``shot_max_chars``."""


def cut_at_word(text: str, max_chars: int, markers: Sequence[str] = ()) -> str:
    """The text cleaned and cut at a word boundary near ``max_chars``, never before the end of the
    last of ``markers`` (a relation's shot must keep its marked entities)."""
    # The demo's reviews carry HTML entities and wrapping quotes; the model should not learn them.
    text = re.sub(r"\s+", " ", html.unescape(text)).strip().strip("\"'")
    keep = max((text.find(m) + len(m) for m in markers if m in text), default=0)
    limit = max(max_chars, keep)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 and space >= keep else cut).rstrip(" ,;:") + CUT_MARK


class Augment:
    """How a pool's examples are written (``generator.augment``, searched by ``search.augment``)."""

    GENERATE = "generate"
    """A new example of the label, in the style of a few real ones."""
    PARAPHRASE = "paraphrase"
    """One real example of the label rewritten in other words, keeping its meaning and label."""
    ALL = (GENERATE, PARAPHRASE)


def source_id(text: str) -> str:
    """A stable id of a real example that does not reveal it: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PromptSpec:
    """Everything that shapes a prompt; its fingerprint is part of the synthetic cache key."""

    system_prompt: str
    user_prompt: str
    task: str
    few_shot: int
    samples_per_prompt: int
    shot_max_chars: int
    max_new_tokens: int
    seed: int
    list_prompt: str = ""
    """Header of the completion-style list for base models; `{label}` and `{task}` are filled in."""
    augment: str = Augment.GENERATE
    """``generate`` or ``paraphrase`` (each attempt group rewrites one real example, its source)."""
    markers: tuple[str, ...] = ()
    """A relation task's entity markers: shots and sources are never cut before the last one."""
    decode_groups: int = 1
    """Attempt groups decoded together in one backend call (``generator.decode_groups``): group ``g``
    is always decoded with the others of batch ``g // decode_groups``, whose company shapes its texts."""
    label_separator: str = ""
    """Label sets (``data.task: multilabel``): a pool's label is a set joined by this, and the prompts
    name its labels joined by "and"; empty for one label per text."""

    def fingerprint(self) -> dict:
        out = dict(self.__dict__)
        # Keys written before paraphrasing, relations and batched groups existed stay the same.
        if self.decode_groups == 1:
            del out["decode_groups"]
        if not self.label_separator:
            del out["label_separator"]
        if self.augment == Augment.GENERATE:
            del out["augment"]
        if not self.markers:
            del out["markers"]
        else:
            out["markers"] = list(self.markers)
        return out

    def request(self, label: str, shots_pool: Sequence[str], temperature: float, index: int) -> GenerationRequest:
        """The request for attempt ``index`` of the pool (label, temperature).

        Attempts are grouped by ``samples_per_prompt``: a group shares its shots (and, paraphrasing,
        its source), so the backend can reuse the prompt's processed prefix; the sampling seed
        differs per attempt.
        """
        group = index // self.samples_per_prompt
        src = self.source_index(label, len(shots_pool), index)
        rng = np.random.default_rng(stable_int(self.seed, "shots", label, group, bits=63))
        others = [i for i in range(len(shots_pool)) if i != src]
        k = min(self.few_shot, len(others))
        picks = rng.choice(len(others), size=k, replace=False) if k else np.zeros(0, dtype=int)
        shots = tuple(cut_at_word(shots_pool[others[i]], self.shot_max_chars, self.markers) for i in picks)
        fill = {"label": self.label_words(label), "task": self.task}
        return GenerationRequest(
            label=label,
            shots=shots,
            temperature=temperature,
            seed=stable_int(self.seed, "sample", label, temperature_key(temperature), index),
            max_new_tokens=self.max_new_tokens,
            system_prompt=self.system_prompt.format(**fill),
            user_prompt=self.user_prompt.format(**fill),
            list_prompt=self.list_prompt.format(**fill),
            index=index,
            source="" if src is None else cut_at_word(shots_pool[src], self.shot_max_chars, self.markers),
            source_id="" if src is None else source_id(shots_pool[src]),
        )

    def label_words(self, label: str) -> str:
        """How the prompts name a pool's label: a label set's labels joined by "and"."""
        if not self.label_separator:
            return label
        return " and ".join(label.split(self.label_separator))

    def source_index(self, label: str, n_pool: int, index: int) -> int | None:
        """Paraphrasing: which real example attempt ``index`` rewrites (None when generating).

        The label's examples are taken in a seeded order, one per attempt group, and again from the
        first once all have been used (with other sampling seeds).
        """
        if self.augment != Augment.PARAPHRASE or n_pool == 0:
            return None
        order = _source_order(self.seed, label, n_pool)
        return int(order[(index // self.samples_per_prompt) % n_pool])


@lru_cache(maxsize=256)
def _source_order(seed: int, label: str, n_pool: int) -> np.ndarray:
    return np.random.default_rng(stable_int(seed, "sources", label, bits=63)).permutation(n_pool)


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-cased, whitespace-collapsed, alphanumeric-only form used for duplicate checks."""
    return _WS.sub(" ", re.sub(r"[^0-9a-z]+", " ", text.lower())).strip()
