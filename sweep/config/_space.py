"""The search space, defined once from the config: Tune's space, the baseline point, the report's
rebuilt Optuna study and the searcher's record of what trials really used all read it.

A dimension's name, kind and grid come from ``trainables.DIMENSIONS`` (what a trial snaps its
values to); its bounds come from the ``search`` section. Only describes values; does no work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainables import DIMENSIONS, Dimension

from ._schema import SearchConfig, SweepConfig


@dataclass(frozen=True)
class Range:
    """One dimension's bounds in this sweep: ``low``..``high`` on ``step``, or ``choices``."""

    dimension: Dimension
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.dimension.name

    @property
    def constant(self) -> bool:
        """One value only: a constant of the space, not something Optuna searches."""
        return len(self.choices) == 1 if self.dimension.kind == "choice" else self.high <= self.low

    @property
    def value(self) -> Any:
        """The value of a constant range."""
        return self.choices[0] if self.dimension.kind == "choice" else self.low

    def distribution(self, grid: bool = True) -> Any:
        """The Optuna distribution of this range (``grid=False``: the bounds only, no step)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        kind = self.dimension.kind
        if kind == "choice":
            return CategoricalDistribution(list(self.choices))
        if kind == "int":
            return IntDistribution(int(self.low), int(self.high), step=int(self.step or 1) if grid else 1)
        return FloatDistribution(self.low, self.high, step=self.step if grid else None)


@dataclass(frozen=True)
class SearchSpace:
    ranges: dict[str, Range]
    """Every dimension of the sweep by name, in Tune's order (constants included)."""
    baseline: dict[str, Any]
    """The first trial: no synthetic data. Tune gets it from the searcher outside Optuna's space, so
    Optuna never models a synthetic mix from it and no later trial samples ``n_synthetic`` 0."""

    @classmethod
    def from_config(cls, cfg: SweepConfig) -> SearchSpace:
        s = cfg.search
        n_lo, n_hi = s.synthetic_range  # never 0: only the first trial is the baseline
        names = tuple(cfg.searched_generators())
        dims = DIMENSIONS
        (t_lo, t_hi), (r_lo, r_hi) = s.temperature, s.real_ratio
        if cfg.only_files():  # a file's rows do not depend on a temperature: a constant, not searched
            t_hi = t_lo
        ranges = [
            Range(dims["temperature"], t_lo, t_hi, step=dims["temperature"].step),
            Range(dims["n_synthetic"], n_lo, n_hi, step=s.n_synthetic_step),
            Range(dims["real_ratio"], r_lo, r_hi),
            Range(dims["generator"], choices=names),
        ]
        if s.consistency_min_prob is not None:  # optional dimension: off unless configured
            c_lo, c_hi = s.consistency_min_prob
            ranges.append(Range(dims["consistency_min_prob"], c_lo, c_hi, step=dims["consistency_min_prob"].step))
        if s.augment:  # optional too: without it each generator writes its own way
            ranges.append(Range(dims["augment"], choices=tuple(s.augment)))
        if len(s.synthetic_labels) > 1:  # one way is a setting of the sweep, not a dimension
            ranges.append(Range(dims["synthetic_labels"], choices=tuple(s.synthetic_labels)))
        return cls({r.name: r for r in ranges}, _baseline(s, names))

    def searched(self) -> list[Range]:
        """The ranges Optuna searches (more than one value)."""
        return [r for r in self.ranges.values() if not r.constant]

    def distributions(self, grid: bool = True, with_baseline: bool = False) -> dict[str, Any]:
        """Optuna distributions of the searched ranges; ``with_baseline`` widens them to hold the baseline
        (``n_synthetic`` 0), so a study of every trial of the run can hold it."""
        out = {}
        for r in self.ranges.values():
            base = self.baseline.get(r.name) if with_baseline and r.dimension.kind != "choice" else None
            if r.constant and (base is None or base == r.value):
                continue
            out[r.name] = r.distribution(grid) if base is None else widened(r.distribution(grid), base)
        return out


def _baseline(s: SearchConfig, generators: tuple[str, ...]) -> dict[str, Any]:
    point: dict[str, Any] = {"temperature": s.temperature[0], "n_synthetic": 0, "real_ratio": s.real_ratio[1]}
    if s.consistency_min_prob is not None:
        point["consistency_min_prob"] = s.consistency_min_prob[0]
    if len(generators) > 1:  # a single generator is a constant of the space, not a dimension
        point["generator"] = generators[0]
    if len(s.augment) > 1:
        point["augment"] = s.augment[0]
    if len(s.synthetic_labels) > 1:
        point["synthetic_labels"] = s.synthetic_labels[0]
    return point


def widened(distribution: Any, value: float) -> Any:
    """``distribution`` stretched to hold ``value`` (an int one loses its step: the value may be off its grid)."""
    from optuna.distributions import FloatDistribution, IntDistribution

    if isinstance(distribution, IntDistribution):
        return IntDistribution(min(distribution.low, int(value)), max(distribution.high, int(value)), step=1)
    if isinstance(distribution, FloatDistribution):
        return FloatDistribution(min(distribution.low, value), max(distribution.high, value))
    return distribution


def really_used(
    params: dict[str, Any], distributions: dict[str, Any], result: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(params, distributions) a trial trained with, from its last result, when they differ from the
    suggestion; None when they do not. Each dimension with ``reported_as`` names the result's key."""
    params, distributions = dict(params), dict(distributions)
    changed = False
    for name, d in DIMENSIONS.items():
        used = result.get(d.reported_as) if d.reported_as else None
        if name not in params or not isinstance(used, (int, float)) or isinstance(used, bool):
            continue
        if (used != params[name]) if d.kind == "int" else abs(used - params[name]) > 1e-6:
            params[name] = d.snap(used) if d.kind == "int" else float(used)
            distributions[name] = widened(distributions[name], used)
            changed = True
    return (params, distributions) if changed else None


def search_plan(s: SearchConfig) -> str:
    """One line: how many trials are the baseline, random and guided by TPE."""
    n = s.num_samples
    random_ = s.random_trials()
    guided = n - 1 - random_
    parts = ["trial 1 is the baseline (no synthetic data)"]
    if random_:
        parts.append(f"{random_} random (TPE start-up)")
    if guided:
        parts.append(f"{guided} guided by TPE")
    return f"search: {n} trials; " + ", ".join(parts)
