"""What a curve runs: its sizes and draws, one ordinary run directory per point, the plan on disk.

The plan (``curve_plan.json``) holds the base config as run and the points, so ``resume`` rebuilds
every point's config exactly; each point is the base config with ``data.per_label`` and
``data.draw`` set (the validation and test splits are the same for every point).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import UserError, shown, write_text_atomic

from ..config import SweepConfig
from ..inputs import resolved_config, sweep_dataset
from ..rundir import read_state

CURVE_PLAN = "curve_plan.json"
"""The curve's sizes, draws and base config; its presence makes a directory a curve."""
CURVE_FILE = "curve.json"
ALL = "all"
"""The size that keeps the whole training split."""


@dataclass(frozen=True)
class Point:
    per_label: int | str
    draw: int

    @property
    def name(self) -> str:
        """The point's run directory inside the curve's: ``n5-d1``, ``nall-d0``."""
        return f"n{self.per_label}-d{self.draw}"


@dataclass(frozen=True)
class CurvePlan:
    curve_dir: Path
    sizes: tuple[int | str, ...]
    draws: int
    config: dict[str, Any]
    """The base config as run (paths absolute), from which every point's is made."""

    def points(self) -> list[Point]:
        """Size by size, draw by draw; ``all`` has one draw (the whole split is one subset)."""
        return [Point(s, d) for s in self.sizes for d in range(1 if s == ALL else self.draws)]

    def point_config(self, point: Point) -> SweepConfig:
        tree = json.loads(json.dumps(self.config))
        tree["name"], tree["storage"] = point.name, str(self.curve_dir)
        tree["data"]["per_label"] = None if point.per_label == ALL else point.per_label
        tree["data"]["draw"] = point.draw
        tree["eval"]["label_curve"] = False  # the curve itself is the real-label curve
        return SweepConfig.model_validate(tree)

    def write(self) -> None:
        blob = {"sizes": list(self.sizes), "draws": self.draws, "config": self.config}
        write_text_atomic(self.curve_dir / CURVE_PLAN, json.dumps(blob, indent=2) + "\n")


def parse_sizes(raw: list[str]) -> tuple[int | str, ...]:
    """``--sizes 5 10 all`` -> (5, 10, "all"), sorted, each once; one line for anything else."""
    sizes: set[int] = set()
    has_all = False
    for value in raw:
        if value == ALL:
            has_all = True
        elif value.isdigit() and int(value) >= 1:
            sizes.add(int(value))
        else:
            raise UserError(f"--sizes: {value!r} is not a number of examples per label (>= 1) or 'all'")
    if not sizes and not has_all:
        raise UserError("--sizes: name at least one size")
    return (*sorted(sizes), *((ALL,) if has_all else ()))


def new_plan(cfg: SweepConfig, sizes: tuple[int | str, ...], draws: int) -> CurvePlan:
    """The plan for ``cfg`` at ``sizes``, checked against the data before anything runs."""
    if draws < 1:
        raise UserError("--draws must be at least 1")
    curve_dir = cfg.storage / f"{cfg.name}-curve"  # beside a plain run of the same config, not in its place
    if (curve_dir / CURVE_PLAN).exists():
        raise UserError(f"{curve_dir} holds a curve; continue it with: synthsweep resume {curve_dir}")
    if curve_dir.exists() and any(curve_dir.iterdir()):
        raise UserError(f"{curve_dir} exists and is not a curve; choose another name with --set name=...")
    _check_sizes(cfg, sizes)
    return CurvePlan(curve_dir, sizes, draws, resolved_config(cfg, curve_dir))


def _check_sizes(cfg: SweepConfig, sizes: tuple[int | str, ...]) -> None:
    """Every size must fit every label's real training examples (the validation and test splits
    stay out of it)."""
    data = sweep_dataset(cfg.model_copy(update={"data": cfg.data.model_copy(update={"per_label": None})}))
    counts = dict(zip(data.labels, data.label_counts().tolist()))
    label, have = min(counts.items(), key=lambda kv: kv[1])
    too_big = [s for s in sizes if s != ALL and int(s) > have]
    if too_big:
        raise UserError(
            f"--sizes: {too_big[0]} examples per label is more than class {shown(label)} has ({have} training "
            "examples after the splits)"
        )


def load_plan(curve_dir: Path) -> CurvePlan | None:
    """The curve in ``curve_dir``, or None when it is not one."""
    path = Path(curve_dir) / CURVE_PLAN
    if not path.is_file():
        return None
    blob = json.loads(path.read_text())
    return CurvePlan(Path(curve_dir).resolve(), tuple(blob["sizes"]), int(blob["draws"]), blob["config"])


def point_finished(run_dir: Path) -> bool:
    state = read_state(run_dir) if run_dir.is_dir() else None
    return state is not None and state.status == "finished"


def plan_lines(plan: CurvePlan) -> list[str]:
    """``--dry-run``: the points, the trials and at most how many examples would be generated."""
    points = plan.points()
    cfg = plan.point_config(points[0])
    trials = cfg.search.num_samples * len(points)
    configs = cfg.generator_configs()
    models = [n for n in cfg.searched_generators() if not configs[n].is_file]
    # Each point's prompts show its own real subset, so its pools are its own: at most the largest
    # n_synthetic per model generator and point (fewer when trials share pools, as they do).
    most = cfg.search.n_synthetic[1] * len(models) * len(points)
    lines = [
        f"curve: {plan.curve_dir}; sizes {', '.join(map(str, plan.sizes))} per label, {plan.draws} draws each",
        f"points: {len(points)} sweeps ({', '.join(p.name for p in points)}), {cfg.search.num_samples} trials "
        f"and a verdict of {cfg.eval.verdict_seeds} seeds per arm each: {trials} trials in all",
        f"generation: at most {most} synthetic examples"
        + (f" ({', '.join(models)})" if models else " (every generator is a file)"),
    ]
    return lines


def status_lines(plan: CurvePlan) -> list[str]:
    """``synthsweep status CURVE_DIR``: each point's state, and whether the curve is complete."""
    points = plan.points()
    lines = []
    done = 0
    for p in points:
        state = read_state(plan.curve_dir / p.name) if (plan.curve_dir / p.name).is_dir() else None
        status = state.status if state is not None else "not started"
        done += status == "finished"
        lines.append(f"  {p.name}: {status}")
    head = f"{plan.curve_dir.name}: curve of {len(points)} points, {done} finished"
    tail = (
        f"curve.json: {plan.curve_dir / CURVE_FILE}"
        if (plan.curve_dir / CURVE_FILE).is_file()
        else f"continue it with: synthsweep resume {plan.curve_dir}"
    )
    return [head, *lines, tail]
