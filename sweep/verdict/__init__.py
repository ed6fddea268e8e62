"""The verdict on the test split: the arms, the cheap controls, the paired bootstrap and the sentence."""

from ._arms import VERDICT_SEED_OFFSET, Arm, build_arms, verdict_seeds
from ._bootstrap import Interval, bootstrap_deltas, conclusion, resampled_auc
from ._controls import eda_texts, oversample
from ._model import ARM_WORDS, BASELINE, BEST, CHEAP_CONTROLS, Conclusion, DeltaAUC, Verdict, VerdictArm
from ._run import HOLD_ENV, run_verdict
from ._sentence import signed, verdict_sentence

__all__ = [
    "ARM_WORDS",
    "BASELINE",
    "BEST",
    "CHEAP_CONTROLS",
    "HOLD_ENV",
    "VERDICT_SEED_OFFSET",
    "Arm",
    "Conclusion",
    "DeltaAUC",
    "Interval",
    "Verdict",
    "VerdictArm",
    "bootstrap_deltas",
    "build_arms",
    "conclusion",
    "eda_texts",
    "oversample",
    "resampled_auc",
    "run_verdict",
    "signed",
    "verdict_seeds",
    "verdict_sentence",
]
