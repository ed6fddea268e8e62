"""How numbers appear in tables, reports and model cards: one place, so they read alike everywhere."""

from __future__ import annotations

import math
from typing import Any

from ..verdict import DeltaAUC

MISSING = "-"


def missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt(v: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals, or ``-`` when there is none (None, NaN)."""
    return MISSING if missing(v) else f"{v:.{digits}f}"


def delta_ci(d: DeltaAUC) -> str:
    """A difference with its 95% interval: ``+0.021 [-0.010, +0.052]``."""
    lo, hi = d.ci95
    return f"{d.mean:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def plus_minus(v: Any, sd: Any, digits: int = 3) -> str:
    """``mean ± SD`` (just the mean when the SD is unknown)."""
    return fmt(v, digits) if missing(sd) else f"{fmt(v, digits)} ± {fmt(sd, digits)}"


SEARCHED_CHOICES = {"augment": "augment", "synthetic_labels": "labels"}
"""Trial parameters shown as a column only in sweeps that search them (`search.augment`,
`search.synthetic_labels`), with their column headers."""


def searched_choices(params: list[dict[str, Any]]) -> list[str]:
    """The ``SEARCHED_CHOICES`` some of these trials' parameters hold."""
    return [name for name in SEARCHED_CHOICES if any(p.get(name) for p in params)]
