"""The verdict in plain words, every difference with its interval."""

from __future__ import annotations

from ..config import SweepConfig
from ._model import ARM_WORDS, CHEAP_CONTROLS, Conclusion, DeltaAUC, Verdict, VerdictArm

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


def _ci(d: DeltaAUC) -> str:
    lo, hi = d.ci95
    return f"{signed(d.mean)} [{signed(lo)}, {signed(hi)}]"


def _generator_model(cfg: SweepConfig, best: VerdictArm) -> str:
    name = str(best.params.get("generator") or "")
    configs = cfg.generator_configs()
    return configs[name].model if name in configs else cfg.generator.model


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
        which, recall, precision = f" of {verdict.positive_label}", best.positive_recall - base.positive_recall, (
            (best.positive_precision or 0.0) - (base.positive_precision or 0.0)
        )
    else:
        which, recall, precision = " (macro)", best.recall - base.recall, best.precision - base.precision
    return f"Recall{which} {signed(recall)}, precision {signed(precision)}."


def verdict_sentence(verdict: Verdict, cfg: SweepConfig) -> str:
    best = verdict.best
    if best is None:
        return (
            "No trial with synthetic data finished, so there is nothing to compare with the baseline "
            f"(test AUC {verdict.baseline.test_auc_mean:.3f})."
        )
    prm = best.params
    what = (
        f"Synthetic data ({_generator_model(cfg, best)}, T {prm.get('temperature')}, {prm['n_synthetic']} examples, "
        f"real share {prm['real_share']:.2f})"
    )
    meaning = _MEANING[best.conclusion]
    words = f"{what} changed test AUC by {_ci(best.delta_auc)} against no augmentation: {meaning}."
    return f"{words} {_controls(verdict, best)}. {_shift(verdict, best)}"
