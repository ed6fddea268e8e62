"""``synthsweep curve``: a sweep and verdict at each of several real-data sizes and draws, combined
into where synthetic data helps. Each point is an ordinary run directory inside the curve's."""

from ._combine import arms_at_size, combine_draws
from ._model import ArmAtSize, Curve, CurvePoint
from ._plan import (
    ALL,
    CURVE_FILE,
    CURVE_PLAN,
    CurvePlan,
    Point,
    load_plan,
    new_plan,
    parse_sizes,
    plan_lines,
    status_lines,
)
from ._plot import write_curve_report
from ._run import CurveInterrupted, resume_curve, run_curve
from ._words import curve_sentence, curve_table

__all__ = [
    "ALL",
    "CURVE_FILE",
    "CURVE_PLAN",
    "ArmAtSize",
    "Curve",
    "CurveInterrupted",
    "CurvePlan",
    "CurvePoint",
    "Point",
    "arms_at_size",
    "combine_draws",
    "curve_sentence",
    "curve_table",
    "load_plan",
    "new_plan",
    "parse_sizes",
    "plan_lines",
    "resume_curve",
    "run_curve",
    "status_lines",
    "write_curve_report",
]
