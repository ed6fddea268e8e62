"""The curve as a table (one row per size) and one sentence: where synthetic data helped."""

from __future__ import annotations

from typing import Any

from ..verdict import BASELINE, BEST, CHEAP_CONTROLS, METHOD_ARMS, Conclusion, signed
from ._model import ArmAtSize

SHOWN_ARMS = (*CHEAP_CONTROLS[1:], BEST)
"""The table's comparison columns: oversample, EDA and the best synthetic mix (reweighting is in
curve.json; with balanced subsets it is the baseline)."""


def shown_arms(by_size: dict[str, dict[str, ArmAtSize]]) -> tuple[str, ...]:
    """``SHOWN_ARMS``, then each method's own best (``generate``, ``paraphrase``) when a point searched both."""
    methods = tuple(m for m in METHOD_ARMS if any(m in arms for arms in by_size.values()))
    return (*SHOWN_ARMS, *methods)


def _delta(a: ArmAtSize) -> str:
    lo, hi = a.delta_auc.ci95
    return f"{signed(a.delta_auc.mean)} [{signed(lo)}, {signed(hi)}]"


def curve_table(by_size: dict[str, dict[str, ArmAtSize]], draws: int) -> Any:
    """One row per size: the baseline's test AUC, each arm's difference with its interval and, when
    the interval excludes 0, ``better`` or ``worse``."""
    from rich.table import Table

    table = Table(
        title=f"curve: Δ test AUC against no augmentation [95% CI], {draws} draws per size",
        box=None,
    )
    table.add_column("per label", justify="right")
    table.add_column("baseline AUC", justify="right")
    shown = shown_arms(by_size)
    for arm in shown:
        table.add_column(arm, justify="right", no_wrap=True)
        table.add_column("", justify="left", no_wrap=True)
    for size, arms in by_size.items():
        row = [size, f"{arms[BASELINE].test_auc_mean:.3f}"]
        for arm in shown:
            a = arms.get(arm)
            mark = "" if a is None or a.conclusion == Conclusion.NO_EVIDENCE else a.conclusion.value
            row += [_delta(a) if a is not None else "-", mark]
        table.add_row(*row)
    return table


def _sizes(sizes: list[str]) -> str:
    """``5``, ``5 and 10``, ``5, 10 and 20``."""
    return sizes[0] if len(sizes) == 1 else ", ".join(sizes[:-1]) + f" and {sizes[-1]}"


def curve_sentence(by_size: dict[str, dict[str, ArmAtSize]]) -> str:
    """``Synthetic data helped at 5 and 10 examples per label (+0.06 [...], ...); at 20 there was no
    evidence (...).`` A size without a synthetic arm (no trial finished) is left out."""
    groups: dict[Conclusion, list[str]] = {}
    for size, arms in by_size.items():
        if BEST in arms:
            groups.setdefault(arms[BEST].conclusion, []).append(size)
    if not groups:
        return "No point of the curve has a synthetic trial to compare."
    words = {
        Conclusion.BETTER: "Synthetic data helped at {} examples per label ({})",
        Conclusion.WORSE: "it hurt at {} ({})",
        Conclusion.NO_EVIDENCE: "at {} there was no evidence either way ({})",
    }
    parts = []
    for verdict in (Conclusion.BETTER, Conclusion.NO_EVIDENCE, Conclusion.WORSE):
        sizes = groups.get(verdict)
        if sizes:
            deltas = ", ".join(_delta(by_size[s][BEST]) for s in sizes)
            parts.append(words[verdict].format(_sizes(sizes), deltas))
    text = "; ".join(parts)
    if not groups.get(Conclusion.BETTER):
        text = "Synthetic data helped at no size: " + text
    return text[0].upper() + text[1:] + "."
