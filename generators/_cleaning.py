"""Clean synthetic texts and reject the unusable ones, recording why.

Filtering is a pure function of the raw attempts in order, so the cache stores raw model
output and the same filter settings always accept the same examples; changing a threshold
replays the cache instead of regenerating.

Checks, in order (a text is counted under the first that rejects it): empty, too short, too
long, a relation's entity markers missing, repeated or out of order, exact duplicate within the
pool, near duplicate within the pool (character n-gram Jaccard), not in the language of the real
data, a paraphrase that copies its own source (exact,
or over the privacy limits against it alone), exact copy of a real record, over the privacy
limits against a real record (shared word run, n-gram overlap), near duplicate of a real record.
The real records are the training texts the generator's prompts draw from; validation and test
records never reach a filter.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from common import marker_problem

from ._language import LanguageProfile
from ._privacy import OverlapIndex, PrivacyLimits
from ._prompts import CUT_MARK, normalise
from ._similarity import ShingleIndex

# Preambles small instruct models like to prepend despite the prompt.
_PREAMBLE = re.compile(r"^\s*(?:sure[,!.]?\s*)?(?:here(?:'s| is)|this is)\b[^:\n]{0,60}:\s*", re.IGNORECASE)
_QUOTES = "\"'\u201c\u201d\u2018\u2019`"
_JSON_TAIL = re.compile(r'\s*"\s*\.?\s*\}+\s*$')


def clean_text(raw: str) -> str:
    text = html.unescape(raw).replace("\\n", " ").replace('\\"', '"')
    text = _PREAMBLE.sub("", text, count=1)
    text = re.sub(r"\s+", " ", text).strip()
    # JSON residue when the model closes the prefilled reply its own way (`...prescription.".}`).
    text = _JSON_TAIL.sub("", text)
    # Quotes around the whole text, or a stray one at either end (the demo's reviews are quoted).
    text = text.strip(_QUOTES + " ")
    return text


def trim_truncated(text: str) -> str:
    """A text cut off at the token limit keeps its complete sentences only."""
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", text)]
    return text[: ends[-1]] if ends else text


class Reject:
    """Reject reasons, in the order the pool filter checks them."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    MARKERS = "markers"
    """A relation's synthetic text without each entity marker once, in order."""
    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    LANGUAGE = "language"
    COPIES_SOURCE = "copies_source"
    """A paraphrase too close to the real example it rewrote (counted apart from other real records)."""
    COPIES_REAL = "copies_real"
    PRIVACY = "privacy"
    NEAR_REAL = "near_real"
    LABEL_INCONSISTENT = "label_inconsistent"
    """Dropped in the trial by the label-consistency classifier, not by the pool filter."""

    ALL = (
        EMPTY,
        TOO_SHORT,
        TOO_LONG,
        MARKERS,
        DUPLICATE,
        NEAR_DUPLICATE,
        LANGUAGE,
        COPIES_SOURCE,
        COPIES_REAL,
        PRIVACY,
        NEAR_REAL,
        LABEL_INCONSISTENT,
    )
    PRIVACY_DROPS = (COPIES_SOURCE, COPIES_REAL, PRIVACY, NEAR_REAL)
    """Reasons that keep copied real-record text out of training (the privacy audit's drops): a
    paraphrase copying its source, an exact copy, over the word-run or n-gram limits, or a near copy
    by characters (a shot with one word changed shares only a 9-word run but has Jaccard 0.84)."""


@dataclass(frozen=True)
class FilterSettings:
    """Thresholds of the pool filter (``min_chars`` lives on the pool source); None turns a check off."""

    max_chars: int = 2000
    shingle: int = 5
    """Characters per shingle for the near-duplicate checks."""
    near_duplicate: float | None = 0.7
    """Reject at or above this Jaccard similarity to an accepted example of the pool."""
    near_real: float | None = 0.7
    """Reject at or above this Jaccard similarity to a real training record."""
    language_ratio: float | None = 1.3
    """Reject above this multiple of the real texts' 99th-percentile cross-entropy (see _language)."""
    privacy: PrivacyLimits = PrivacyLimits()
    markers: tuple[str, ...] = ()
    """A relation task's entity markers: a text must hold each once, in order (``common.marker_problem``)."""


class RealReference:
    """What the filter compares against, built once per set of real training texts."""

    def __init__(self, real_texts: Iterable[str], settings: FilterSettings = FilterSettings()):
        real = list(real_texts)
        self.exact = {normalise(t) for t in real}
        self.long = [r for r in self.exact if len(r) >= 40]
        self.shingles = ShingleIndex(real, settings.shingle) if settings.near_real is not None else None
        limits = settings.privacy
        self.overlap = (
            OverlapIndex(real, n=limits.ngram)
            if limits.max_shared_words is not None or limits.max_ngram_overlap is not None
            else None
        )
        self.language = LanguageProfile(real, settings.language_ratio) if settings.language_ratio is not None else None


@dataclass
class PoolFilter:
    """Stateful, order-dependent filter for one pool."""

    real_texts: Iterable[str]
    min_chars: int = 20
    counts: Counter = field(default_factory=Counter)
    settings: FilterSettings = FilterSettings()
    reference: RealReference | None = None
    """Prebuilt from ``real_texts`` with the same settings (shared by every pool of a source)."""

    def __post_init__(self) -> None:
        if self.reference is None:
            self.reference = RealReference(self.real_texts, self.settings)
        self._seen: set[str] = set()
        self._pool = ShingleIndex(n=self.settings.shingle)

    def offer(self, raw: str, truncated: bool = False, source: str = "") -> str | None:
        """The cleaned text if accepted, else None (the reason is counted); ``source`` is the real
        example a paraphrase rewrote (its full text), measured against on its own first."""
        text = clean_text(raw)
        if text.endswith(CUT_MARK):
            # The model copied the mark of a shot cut at shot_max_chars: it ends mid-sentence too.
            text, truncated = text[: -len(CUT_MARK)], True
        if truncated:
            text = trim_truncated(text)
        reason = self._reason(text, source)
        self.counts[reason or "accepted"] += 1
        if reason:
            return None
        self._seen.add(normalise(text))
        if self.settings.near_duplicate is not None:
            self._pool.add(text)
        return text

    def _reason(self, text: str, source: str = "") -> str | None:
        s, ref = self.settings, self.reference
        if not text:
            return Reject.EMPTY
        if len(text) < self.min_chars:
            return Reject.TOO_SHORT
        if len(text) > s.max_chars:
            return Reject.TOO_LONG
        if s.markers and marker_problem(text, s.markers):
            return Reject.MARKERS
        norm = normalise(text)
        if norm in self._seen:
            return Reject.DUPLICATE
        if s.near_duplicate is not None and self._pool.most_similar(text)[0] >= s.near_duplicate:
            return Reject.NEAR_DUPLICATE
        if ref.language is not None and not ref.language.accepts(text):
            return Reject.LANGUAGE
        if source and self._copies(text, norm, source):
            return Reject.COPIES_SOURCE
        if norm in ref.exact or (len(norm) >= 40 and any(norm in r for r in ref.long)):
            return Reject.COPIES_REAL
        if ref.overlap is not None and s.privacy.exceeded(ref.overlap.measure(text)):
            return Reject.PRIVACY
        if ref.shingles is not None and ref.shingles.most_similar(text)[0] >= s.near_real:
            return Reject.NEAR_REAL
        return None

    def _copies(self, text: str, norm: str, source: str) -> bool:
        """The text is its source, holds it, or is over the privacy limits against it alone."""
        src = normalise(source)
        if norm == src or (len(src) >= 40 and src in norm) or (len(norm) >= 40 and norm in src):
            return True
        limits = self.settings.privacy
        if limits.max_shared_words is None and limits.max_ngram_overlap is None:
            return False
        return limits.exceeded(OverlapIndex([source], n=limits.ngram).measure(text))
