"""``synthsweep curve`` and its resume: every point an ordinary sweep, one after another, then the
draws combined per size and ``curve.json`` written.

A point already finished is read, not run again; an interrupted one is resumed; a point not yet
started is run. Ctrl-C during a point marks that point interrupted (as ``run`` does) and names the
command that continues the whole curve.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from common import SweepInterrupted, UserError, received_signal, write_text_atomic

from .._pipeline import resume_sweep, run_sweep
from ..config import SweepConfig
from ..outputs import RunSummary, console_for_output, read_summary
from ..rundir import VERDICT_SCORES, read_state
from ..verdict import read_scores
from ._combine import arms_at_size, combine_draws
from ._model import Curve, CurvePoint
from ._plan import CURVE_FILE, CurvePlan, Point, load_plan, new_plan, point_finished
from ._plot import write_curve_report
from ._words import curve_sentence, curve_table


class CurveInterrupted(SweepInterrupted):
    """A point of the curve stopped; the message names the command that continues the curve."""

    def __init__(self, curve_dir: Path, done: int, total: int, signum: int = 2):
        super().__init__(curve_dir, done, total, signum)
        self.args = (
            f"curve interrupted with {done} of {total} points finished; continue it with: "
            f"synthsweep resume {curve_dir}",
        )


def run_curve(
    cfg: SweepConfig, sizes: tuple[int | str, ...], draws: int, address: str | None = None, verbose: bool = False
) -> Curve:
    plan = new_plan(cfg, sizes, draws)
    plan.curve_dir.mkdir(parents=True, exist_ok=True)
    plan.write()
    for note in cfg.notes():
        print(note, file=sys.stderr)
    return _drive(plan, address, verbose)


def resume_curve(curve_dir: Path, address: str | None = None, verbose: bool = False) -> Curve:
    plan = load_plan(curve_dir)
    if plan is None:
        raise UserError(f"{curve_dir} is not a curve (no curve_plan.json)")
    return _drive(plan, address, verbose)


def _drive(plan: CurvePlan, address: str | None, verbose: bool) -> Curve:
    points = plan.points()
    summaries: list[RunSummary] = []
    t0 = time.monotonic()
    ran = 0
    for k, point in enumerate(points):
        run_dir = plan.curve_dir / point.name
        started = time.monotonic()
        try:
            summary, fresh = _point(plan, point, run_dir, address, verbose)
        except SweepInterrupted as e:
            raise CurveInterrupted(plan.curve_dir, k, len(points), e.exit_code - 128) from None
        except KeyboardInterrupt:  # before the point claimed its run directory: nothing of it to keep
            raise CurveInterrupted(plan.curve_dir, k, len(points), received_signal()) from None
        summaries.append(summary)
        ran += fresh
        print(
            _progress(k, len(points), point, time.monotonic() - started, time.monotonic() - t0, ran, fresh),
            file=sys.stderr,
            flush=True,
        )
    curve = _combined(plan, points, summaries)
    write_text_atomic(plan.curve_dir / CURVE_FILE, curve.model_dump_json(indent=2) + "\n")
    console = console_for_output()
    console.print(curve_table(curve.by_size, plan.draws), crop=False)
    console.print(curve.sentence)
    report = write_curve_report(curve, plan.curve_dir)
    console.print(
        f"results: {plan.curve_dir / CURVE_FILE}, {report}; each point's run: {plan.curve_dir}/n<size>-d<draw>"
    )
    return curve


def _point(plan: CurvePlan, point: Point, run_dir: Path, address: str | None, verbose: bool) -> tuple[RunSummary, bool]:
    """The point's summary, and whether it was (partly) run now."""
    if point_finished(run_dir):
        summary = read_summary(run_dir)
        if summary is not None and (run_dir / VERDICT_SCORES).is_file():
            return summary, False
    if read_state(run_dir) is not None:
        return resume_sweep(run_dir, address=address, verbose=verbose, quiet=True), True
    return run_sweep(plan.point_config(point), address=address, verbose=verbose, quiet=True), True


def _progress(k: int, n: int, point: Point, took: float, elapsed: float, ran: int, fresh: bool) -> str:
    what = f"{took:.0f} s" if fresh else "already finished"
    left = n - k - 1
    eta = f", about {_clock(elapsed / ran * left)} left" if ran and left else ""
    return (
        f"curve: point {k + 1}/{n} ({point.per_label} per label, draw {point.draw}): {what}; "
        f"elapsed {_clock(elapsed)}{eta}"
    )


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


def _combined(plan: CurvePlan, points: list[Point], summaries: list[RunSummary]) -> Curve:
    resamples = int(plan.config["eval"]["bootstrap"])
    seed = int(plan.config["seed"])
    by_size = {}
    for size in plan.sizes:
        mine = [(p, s) for p, s in zip(points, summaries) if p.per_label == size]
        scores = [read_scores(s.run_dir / VERDICT_SCORES) for _, s in mine]
        combined = combine_draws(scores[0][0], [probs for _, probs in scores], resamples, seed)
        added = {
            arm: sum(float(s.verdict.arms[arm].params.get("n_synthetic", 0)) for _, s in mine) / len(mine)
            for arm in combined
            if all(s.verdict is not None and arm in s.verdict.arms for _, s in mine)
        }
        by_size[str(size)] = arms_at_size(combined, added)
    records = [
        CurvePoint(
            per_label=p.per_label,
            draw=p.draw,
            n_per_label=s.data.n_train / max(1, len(s.data.labels)),
            run_dir=s.run_dir,
            verdict=s.verdict,
        )
        for p, s in zip(points, summaries)
        if s.verdict is not None
    ]
    return Curve(
        sizes=list(plan.sizes),
        draws=plan.draws,
        points=records,
        by_size=by_size,
        bootstrap=resamples,
        sentence=curve_sentence(by_size),
    )
