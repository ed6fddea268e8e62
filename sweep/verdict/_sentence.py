"""The verdict in plain words, every difference with its interval."""

from __future__ import annotations

from pathlib import Path

from ..config import SweepConfig
from ._model import (
    ARM_WORDS,
    BEST,
    CHEAP_CONTROLS,
    METHOD_ARMS,
    Conclusion,
    DeltaAUC,
    Estimate,
    LabelCurve,
    RarestQuarter,
    Verdict,
    VerdictArm,
    Worth,
)
from ._worth import WORTH_CAP

USEFUL_DETECTABLE = 0.05
"""A detectable change above ``TOO_BLIND`` is too coarse to be useful; this is the size to aim for."""
TOO_BLIND = 0.1

_MEANING = {
    Conclusion.BETTER: "it helps",
    Conclusion.WORSE: "it hurts",
    Conclusion.NO_EVIDENCE: "no evidence that it helps",
}


def signed(v: float, digits: int = 3) -> str:
    """A difference with its sign, and a real minus sign for prose."""
    return f"{v:+.{digits}f}".replace("-", "\u2212")


def _sentence_case(words: str) -> str:
    """First letter up, the rest as written (``EDA word edits`` stays so)."""
    return words[:1].upper() + words[1:]


def _ci(d: DeltaAUC | Estimate) -> str:
    lo, hi = d.ci95
    return f"{signed(d.mean)} [{signed(lo)}, {signed(hi)}]"


def _generator_words(cfg: SweepConfig, best: VerdictArm) -> str:
    """``smollm2-135m-instruct, T 0.9`` for a model (``paraphrasing`` added when it rewrote real
    examples, or when both methods were searched); a file's name alone (no temperature, no method)."""
    name = str(best.params.get("generator") or "")
    configs = cfg.generator_configs()
    g = configs[name] if name in configs else cfg.generator
    if g.is_file:
        return f"file {Path(g.model).name}"
    method = str(best.params.get("augment") or g.augment)
    shown = f"{_METHOD_WORDS[method]}, " if method == "paraphrase" or len(cfg.search.augment) > 1 else ""
    return f"{g.model}, {shown}T {best.params.get('temperature')}"


_METHOD_WORDS = {"generate": "generating", "paraphrase": "paraphrasing"}


def _methods(verdict: Verdict) -> str:
    """Each searched method's best trial against no augmentation, when both were searched."""
    shown = [m for m in METHOD_ARMS if m in verdict.arms]
    if len(shown) < 2:
        return ""
    parts = [f"{_METHOD_WORDS[m]}: {_ci(verdict.arms[m].delta_auc)}" for m in shown]
    return " Each method's best trial: " + "; ".join(parts) + "."


def _controls(verdict: Verdict, best: VerdictArm) -> str:
    """Each cheap control's difference, and whether one did at least as well as synthetic data."""
    arms = verdict.arms
    words = "; ".join(
        f"{_sentence_case(ARM_WORDS[name])}: {_ci(arms[name].delta_auc)}"
        for name in ("oversample", "eda", "reweighted")
        if name in arms
    )
    cheap = [n for n in CHEAP_CONTROLS if n in arms]
    rival = max(cheap, key=lambda n: arms[n].delta_auc.mean, default=None)
    if rival is not None and arms[rival].delta_auc.mean >= best.delta_auc.mean:
        words += f". A cheap control did at least as well ({ARM_WORDS[rival]})"
    return words


def _shift(verdict: Verdict, best: VerdictArm) -> str:
    """Recall and precision of the class of interest (macro with more classes), best minus baseline."""
    base = verdict.baseline
    if best.positive_recall is not None and base.positive_recall is not None:
        which, recall, precision = (
            f" of {verdict.positive_label}",
            best.positive_recall - base.positive_recall,
            ((best.positive_precision or 0.0) - (base.positive_precision or 0.0)),
        )
    else:
        which, recall, precision = " (macro)", best.recall - base.recall, best.precision - base.precision
    return f"Recall{which} {signed(recall)}, precision {signed(precision)}."


def rarest_which(r: RarestQuarter) -> str:
    """``5 of 20 labels, 7–10 training texts each``."""
    lo, hi = min(r.train_counts), max(r.train_counts)
    counts = f"{lo}" if lo == hi else f"{lo}\u2013{hi}"
    return f"{len(r.labels)} of {r.of} labels, {counts} training texts each"


_THERE = {
    Conclusion.BETTER: "it helps there",
    Conclusion.WORSE: "it hurts there",
    Conclusion.NO_EVIDENCE: "no evidence either way there",
}


def rarest_words(verdict: Verdict) -> str:
    """Synthetic data on the rarest quarter of the labels, when that adds to the macro figure: its
    interval excludes 0, or its conclusion differs from the macro one (both "no evidence" says nothing new)."""
    r, best = verdict.rarest, verdict.best
    if r is None or best is None or BEST not in r.arms:
        return ""
    arm = r.arms[BEST]
    if arm.conclusion == best.conclusion == Conclusion.NO_EVIDENCE:
        return ""
    return (
        f" On the rarest quarter of the labels ({rarest_which(r)}) it changed test AUC by {_ci(arm.delta_auc)}: "
        f"{_THERE[arm.conclusion]}."
    )


def detectable_words(verdict: Verdict) -> str:
    """How large a change this test split could see, and how many test texts a useful verdict needs."""
    d = verdict.detectable_delta
    if d is None:
        return ""
    if d <= TOO_BLIND:
        return (
            f"This test split ({verdict.n_test} texts) can detect changes of about \u00b1{d:.3f} AUC; "
            "smaller effects read as no evidence."
        )
    needed = verdict.n_test * (d / USEFUL_DETECTABLE) ** 2
    return (
        f"This test split ({verdict.n_test} texts) can only detect changes of about \u00b1{d:.3f} AUC, too "
        f"coarse for a useful verdict: about {_round_up(needed):,} test texts would bring that to "
        f"\u00b1{USEFUL_DETECTABLE} (an estimate: it shrinks with the square root of the test size)."
    )


def _round_up(n: float) -> int:
    step = 100 if n < 10_000 else 1000
    return int(-(-n // step) * step)


def _labels(v: float, cap: float | None = None) -> str:
    """Labels per label, whole; a bound at the cap reads as at least the cap."""
    if cap is not None and v >= cap - 1e-9:
        return f"\u2265{cap:.0f}"
    return f"{int(round(v))}".replace("-", "\u2212")  # int: a value that rounds to 0 is 0, not -0


def worth_words(words: str, w: Worth, n_full: float) -> str:
    """``Synthetic data was worth about 14 [3, 27] real labels per label (extrapolated)``, or that it had none."""
    cap = WORTH_CAP * n_full
    span = f"{_labels(w.mean, cap)} [{_labels(w.ci95[0])}, {_labels(w.ci95[1], cap)}]"
    tail = ", extrapolated" if w.extrapolated else ""
    if not w.ci95[0] > 0:  # before the cap: a point at the cap with an interval down to 0 is no worth
        return f"{words} had no measurable worth in real labels: {span} per label{tail}"
    if w.capped:
        return f"{words} was worth more than {_labels(w.mean)} real labels per label (the cap: the curve says no more)"
    return f"{words} was worth about {span} real labels per label" + (" (extrapolated)" if w.extrapolated else "")


def _next_step(verdict: Verdict, curve: LabelCurve, best: VerdictArm | None) -> str:
    more = curve.more_labels_50pct
    synthetic = best is not None and best.worth_labels_per_label is not None and best.worth_labels_per_label.ci95[0] > 0
    labels = more.ci95[0] > 0
    if synthetic and labels:
        return "Next: both pay at this size; compare the cost of generating with the cost of labelling."
    if synthetic:
        return "Next: use the synthetic mix; more real labels show no measurable gain at this size."
    if labels:
        return "Next: label more real examples; synthetic data showed no measurable worth at this size."
    blind = verdict.detectable_delta is not None and verdict.detectable_delta > USEFUL_DETECTABLE
    return "Next: neither shows a measurable gain at this size" + (
        "; a larger test split would tell smaller effects apart." if blind else "."
    )


def labels_sentence(verdict: Verdict) -> str:
    """What fewer and more real labels change, what the synthetic data was worth in labels, what to do."""
    curve = verdict.labels
    if curve is None:
        return ""
    parts = []
    half = verdict.arms.get("labels_50")
    if half is not None:
        parts.append(f"With half your labels: {_ci(half.delta_auc)}.")
    best = verdict.best
    if best is not None and best.worth_labels_per_label is not None:
        parts.append(worth_words("Synthetic data", best.worth_labels_per_label, curve.n_per_label[-1]) + ".")
    low, high = round(curve.fractions[0] * 100), round(curve.fractions[-1] * 100)
    parts.append(
        f"50% more real labels would be worth about {_ci(curve.more_labels_50pct)} AUC "
        f"(extrapolated from {low}\u2013{high}% of your data)."
    )
    parts.append(_next_step(verdict, curve, best))
    return " ".join(parts)


def verdict_sentence(verdict: Verdict, cfg: SweepConfig) -> str:
    """The verdict's paragraph, and on a second line what labels are worth (when the curve was trained)."""
    lines = [_comparison(verdict, cfg), labels_sentence(verdict)]
    return "\n".join(line for line in lines if line)


def _comparison(verdict: Verdict, cfg: SweepConfig) -> str:
    best = verdict.best
    if best is None:
        return (
            "No trial with synthetic data finished, so there is nothing to compare with the baseline "
            f"(test AUC {verdict.baseline.test_auc_mean:.3f})."
        )
    prm = best.params
    what = (
        f"Synthetic data ({_generator_words(cfg, best)}, {prm['n_synthetic']} examples, "
        f"real share {prm['real_share']:.2f})"
    )
    meaning = _MEANING[best.conclusion]
    words = f"{what} changed test AUC by {_ci(best.delta_auc)} against no augmentation: {meaning}."
    words += rarest_words(verdict)
    return f"{words}{_methods(verdict)} {detectable_words(verdict)} {_controls(verdict, best)}. {_shift(verdict, best)}"
