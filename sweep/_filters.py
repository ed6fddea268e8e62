"""The pool filter's and the privacy audit's thresholds, from the sweep config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import SweepConfig

if TYPE_CHECKING:
    from generators import FilterSettings, PrivacyLimits


def privacy_limits(cfg: SweepConfig) -> PrivacyLimits:
    from generators import PrivacyLimits

    p = cfg.privacy
    return PrivacyLimits(ngram=p.ngram, max_shared_words=p.max_shared_words, max_ngram_overlap=p.max_ngram_overlap)


def filter_settings(cfg: SweepConfig) -> FilterSettings:
    from generators import FilterSettings

    q = cfg.quality
    return FilterSettings(
        max_chars=q.max_chars,
        shingle=q.shingle,
        near_duplicate=q.near_duplicate,
        near_real=q.near_real,
        language_ratio=q.language_ratio,
        privacy=privacy_limits(cfg),
    )
