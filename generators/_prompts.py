"""Deterministic few-shot prompts and seeds: the same request always yields the same text."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

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


def cut_at_word(text: str, max_chars: int) -> str:
    # The demo's reviews carry HTML entities and wrapping quotes; the model should not learn them.
    text = re.sub(r"\s+", " ", html.unescape(text)).strip().strip("\"'")
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars // 2 else cut).rstrip(" ,;:") + CUT_MARK


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

    def fingerprint(self) -> dict:
        return dict(self.__dict__)

    def request(self, label: str, shots_pool: Sequence[str], temperature: float, index: int) -> GenerationRequest:
        """The request for attempt ``index`` of the pool (label, temperature).

        Attempts are grouped by ``samples_per_prompt``: a group shares its shots, so the backend
        can reuse the prompt's processed prefix; the sampling seed differs per attempt.
        """
        group = index // self.samples_per_prompt
        rng = np.random.default_rng(stable_int(self.seed, "shots", label, group, bits=63))
        k = min(self.few_shot, len(shots_pool))
        picks = rng.choice(len(shots_pool), size=k, replace=False)
        shots = tuple(cut_at_word(shots_pool[i], self.shot_max_chars) for i in picks)
        fill = {"label": label, "task": self.task}
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
        )


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-cased, whitespace-collapsed, alphanumeric-only form used for duplicate checks."""
    return _WS.sub(" ", re.sub(r"[^0-9a-z]+", " ", text.lower())).strip()
