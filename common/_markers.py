"""Entity markers of relation classification (``data.task: relation``): a text is usable only when
it holds every marker exactly once, in order (``<e1>`` … ``</e1>`` … ``<e2>`` … ``</e2>``)."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_MARKERS = ("<e1>", "</e1>", "<e2>", "</e2>")


def marker_problem(text: str, markers: Sequence[str]) -> str | None:
    """None when ``text`` holds each marker once and in order; else what is wrong, naming the marker
    and never the text (it may be patient data)."""
    positions = []
    for m in markers:
        n = text.count(m)
        if n != 1:
            return f"lacks the entity marker {m}" if n == 0 else f"holds the entity marker {m} {n} times"
        positions.append(text.index(m))
    if positions != sorted(positions):
        return f"has its entity markers out of order (the order is {' '.join(markers)})"
    return None
