"""Clean synthetic texts and reject the unusable ones, recording why.

Filtering is a pure function of the raw attempts in order, so the cache stores raw model
output and the same filter settings always accept the same examples.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._prompts import normalise

# Preambles small instruct models like to prepend despite the prompt.
_PREAMBLE = re.compile(r"^\s*(?:sure[,!.]?\s*)?(?:here(?:'s| is)|this is)\b[^:\n]{0,60}:\s*", re.IGNORECASE)
_QUOTES = "\"'\u201c\u201d\u2018\u2019`"


def clean_text(raw: str) -> str:
    text = html.unescape(raw).replace("\\n", " ").replace('\\"', '"')
    text = _PREAMBLE.sub("", text, count=1)
    text = re.sub(r"\s+", " ", text).strip()
    # Quotes around the whole text, or a stray one at either end (the demo's reviews are quoted).
    text = text.strip(_QUOTES + " ")
    return text


def trim_truncated(text: str) -> str:
    """A text cut off at the token limit keeps its complete sentences only."""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", text)]
    return text[: ends[-1]] if ends else text


class Reject:
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    DUPLICATE = "duplicate"
    COPIES_REAL = "copies_real"


@dataclass
class PoolFilter:
    """Stateful, order-dependent filter for one pool."""

    real_texts: Iterable[str]
    min_chars: int = 20
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._real = {normalise(t) for t in self.real_texts}
        self._real_long = [r for r in self._real if len(r) >= 40]
        self._seen: set[str] = set()

    def offer(self, raw: str, truncated: bool = False) -> str | None:
        """The cleaned text if accepted, else None (the reason is counted)."""
        text = clean_text(raw)
        if truncated:
            text = trim_truncated(text)
        reason = self._reason(text)
        self.counts[reason or "accepted"] += 1
        if reason:
            return None
        self._seen.add(normalise(text))
        return text

    def _reason(self, text: str) -> str | None:
        if not text:
            return Reject.EMPTY
        if len(text) < self.min_chars:
            return Reject.TOO_SHORT
        norm = normalise(text)
        if norm in self._seen:
            return Reject.DUPLICATE
        if norm in self._real or (len(norm) >= 40 and any(norm in r for r in self._real_long)):
            return Reject.COPIES_REAL
        return None
