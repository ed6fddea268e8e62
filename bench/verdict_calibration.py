"""Calibration of the verdict's paired bootstrap, by simulation: do its 95% intervals hold the truth?

For each true difference in AUC (``--deltas``) it draws ``--sets`` test sets of ``--n-test`` texts
(labels Bernoulli(0.5), fresh for every set) with two arms, ``baseline`` and ``best``, of
``--seeds`` seeds each, and runs the verdict's own functions on them (``bootstrap_replicates``,
``intervals``, ``conclusion``, ``detectable_delta`` from ``sweep.verdict._bootstrap``).

Scores are binormal. A text's score from seed ``j`` of arm ``a`` is

    m_a * y  +  sqrt(rho) * z  +  sqrt(seed_rho - rho) * w_a  +  sqrt(1 - seed_rho) * e_aj  (+ u_aj * y)

with z ~ N(0, 1) the text's difficulty shared by both arms (two classifiers on the same texts
agree: their scores correlate by ``rho``), w_a an arm's own view of the text shared by its seeds
(two seeds of one arm correlate by ``seed_rho``), e_aj per-seed noise, and u_aj ~ N(0, seed_sd)
an optional per-seed shift in separation (a seed that trained better or worse on every text).
Within a class a score has variance 1, so a seed's expected AUC is Phi((m + u) / sqrt 2), and
over seeds Phi(m / sqrt(2 + seed_sd^2)): ``m_a`` is solved from that for a baseline AUC of
``--base-auc`` and a best arm ``delta`` above it, so the true difference the verdict estimates
(each arm's AUC averaged over seeds) is ``delta`` exactly. Probabilities are sigmoid(score)
for class 1 and 1 - that for class 0, shape (seeds, n, 2), as the verdict passes them.

Reported per truth: coverage (share of intervals holding the truth) with its Monte Carlo SE
sqrt(p (1 - p) / sets), the shares concluding ``better`` and ``worse`` (at truth 0 ``better`` is
the false-better rate, nominally 2.5%; above 0 it is the power), the mean point estimate, the
mean interval half-width, the mean detectable change (80% power, 2.80 x bootstrap SE), and the
SE ratio: mean bootstrap SE over the standard deviation of the point estimates across sets
(1 when the bootstrap sizes the noise right, above 1 when it is conservative).

    python bench/verdict_calibration.py [--sets 500] [--n-test 343] [--seeds 5] [--resamples 1000]
        [--deltas 0.0 0.05] [--seed 0] [--workers 2] [--rho 0.85] [--seed-rho 0.92] [--seed-sd 0.0]

Every truth shares its test sets, baseline and noise (common random numbers): each set carries
one ``best`` arm per truth, scored with the baseline on the same bootstrap replicates in one
``bootstrap_replicates`` call, as the verdict scores its arms, so the truths' rows are correlated
but each is calibrated on its own. Deterministic for a given ``--seed`` (whatever ``--workers``).
The defaults (1,000 resamples, not the verdict's 2,000, which doubles the time) take about 75 s
on two free cores. Nothing is asserted here (tests/test_verdict_calibration.py checks a small size).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# `python bench/verdict_calibration.py` puts bench/ first on the path, where a bench/sweep.py
# would shadow the sweep package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

NOMINAL = 0.95


@dataclass(frozen=True)
class Model:
    """How the simulated test sets and arms are drawn (see the module docstring)."""

    n_test: int = 343
    seeds: int = 5
    base_auc: float = 0.72
    rho: float = 0.85
    seed_rho: float = 0.92
    seed_sd: float = 0.0
    positive_share: float = 0.5

    def separation(self, auc: float) -> float:
        """The class shift m whose seed-averaged binormal AUC is ``auc``."""
        return float(np.sqrt(2.0 + self.seed_sd**2) * NormalDist().inv_cdf(auc))

    def seed_auc_sd(self) -> float:
        """The baseline's spread in true AUC between seeds that ``seed_sd`` makes (by Monte Carlo)."""
        u = self.seed_sd * np.random.default_rng(0).standard_normal(20_000)
        cdf = np.vectorize(NormalDist().cdf)
        return float(np.std(cdf((self.separation(self.base_auc) + u) / np.sqrt(2.0))))


@dataclass(frozen=True)
class Calibration:
    """One truth's figures over its simulated sets."""

    delta: float
    sets: int
    coverage: float
    better: float
    worse: float
    mean_estimate: float
    estimate_sd: float
    """The standard deviation of the point estimates across sets."""
    half_width: float
    detectable: float
    se_ratio: float

    @property
    def coverage_se(self) -> float:
        return float(np.sqrt(self.coverage * (1.0 - self.coverage) / self.sets))

    def rate_se(self, p: float) -> float:
        return float(np.sqrt(p * (1.0 - p) / self.sets))


def _probs(model: Model, auc: float, y: np.ndarray, z: np.ndarray, noise: tuple[np.ndarray, ...]) -> np.ndarray:
    """An arm's class probabilities (seeds, n, 2) from the shared difficulty ``z`` and its own noise."""
    w, e, u = noise
    score = (
        (model.separation(auc) + model.seed_sd * u) * y
        + np.sqrt(model.rho) * z
        + np.sqrt(model.seed_rho - model.rho) * w
        + np.sqrt(1.0 - model.seed_rho) * e
    )
    p1 = 1.0 / (1.0 + np.exp(-score))
    return np.stack([1.0 - p1, p1], axis=-1)


def _noise(rng: np.random.Generator, n: int, seeds: int) -> tuple[np.ndarray, ...]:
    """An arm's own draws: its view of each text (n,), per-seed noise (seeds, n), per-seed shift (seeds, 1)."""
    return rng.standard_normal(n), rng.standard_normal((seeds, n)), rng.standard_normal((seeds, 1))


def draw_set(
    rng: np.random.Generator, model: Model, deltas: Sequence[float]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One test set's labels (n,) and the arms' class probabilities (seeds, n, 2): ``baseline``, and
    ``best i`` for each truth ``deltas[i]``, all of them from the same noise (common random numbers)."""
    n, s = model.n_test, model.seeds
    y = (rng.random(n) < model.positive_share).astype(int)
    z = rng.standard_normal(n)
    arms = {"baseline": _probs(model, model.base_auc, y, z, _noise(rng, n, s))}
    best_noise = _noise(rng, n, s)
    for i, delta in enumerate(deltas):
        arms[f"best {i}"] = _probs(model, model.base_auc + delta, y, z, best_noise)
    return y, arms


Row = tuple[float, float, float, float, str]
"""One truth's verdict on one set: point estimate, interval low and high, detectable change, conclusion."""


def one_set(task: tuple[np.random.SeedSequence, Model, Sequence[float], int]) -> list[Row]:
    """The verdict on one simulated set, for each truth: every arm is scored on the same replicates,
    as the verdict scores its arms."""
    from sweep.verdict._bootstrap import bootstrap_replicates, conclusion, detectable_delta, intervals

    seq, model, deltas, resamples = task
    data_seq, boot_seq = seq.spawn(2)
    y, arms = draw_set(np.random.default_rng(data_seq), model, deltas)
    rep = bootstrap_replicates(y, arms, resamples, seed=int(boot_seq.generate_state(1)[0]))
    found = intervals(rep, "baseline")
    rows = []
    for i in range(len(deltas)):
        interval, detectable = found[f"best {i}"], detectable_delta(rep, f"best {i}", "baseline")
        nan_or = float("nan") if detectable is None else detectable
        rows.append((interval.mean, interval.lo, interval.hi, nan_or, conclusion(interval).value))
    return rows


def summarise(delta: float, rows: list[Row]) -> Calibration:
    """One truth's figures from its rows, one per simulated set."""
    from sweep.verdict._bootstrap import DETECTABLE_FACTOR

    point, lo, hi, detectable = (np.array(col, dtype=float) for col in list(zip(*rows))[:4])
    verdicts = np.array([r[4] for r in rows])
    return Calibration(
        delta=delta,
        sets=len(rows),
        coverage=float(np.mean((lo <= delta) & (delta <= hi))),
        better=float(np.mean(verdicts == "better")),
        worse=float(np.mean(verdicts == "worse")),
        mean_estimate=float(np.mean(point)),
        estimate_sd=float(np.std(point, ddof=1)),
        half_width=float(np.mean((hi - lo) / 2.0)),
        detectable=float(np.nanmean(detectable)),
        se_ratio=float(np.nanmean(detectable) / DETECTABLE_FACTOR / np.std(point, ddof=1)),
    )


def simulate(
    deltas: Sequence[float], sets: int, model: Model, resamples: int, seed: int = 0, workers: int = 1
) -> list[Calibration]:
    """Run the verdict on ``sets`` simulated test sets, one figure per true difference in ``deltas``."""
    tasks = [(seq, model, tuple(deltas), resamples) for seq in np.random.SeedSequence(seed).spawn(sets)]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            per_set = list(pool.map(one_set, tasks, chunksize=max(1, sets // (4 * workers))))
    else:
        per_set = [one_set(t) for t in tasks]
    return [summarise(delta, [rows[i] for rows in per_set]) for i, delta in enumerate(deltas)]


def print_table(rows: list[Calibration]) -> None:
    print(
        f"\n{'truth':>7}{'mean est':>10}{'coverage':>10}{'± MC SE':>9}{'better':>8}{'± SE':>7}"
        f"{'worse':>7}{'half-width':>12}{'detectable':>12}{'SE ratio':>10}"
    )
    for r in rows:
        print(
            f"{r.delta:>+7.3f}{r.mean_estimate:>+10.4f}{r.coverage:>10.3f}{r.coverage_se:>9.3f}{r.better:>8.3f}"
            f"{r.rate_se(r.better):>7.3f}{r.worse:>7.3f}{r.half_width:>12.4f}{r.detectable:>12.4f}{r.se_ratio:>10.2f}"
        )
    worst = min(rows, key=lambda r: r.coverage)
    print(f"coverage/nominal ratio {worst.coverage / NOMINAL:.3f} (lowest coverage, at truth {worst.delta:+.3f})")
    print("better at truth 0: false-better rate (nominal 0.025); above 0: power. SE ratio: mean bootstrap SE")
    print("over the SD of the point estimates across sets (1: sized right; above 1: conservative)")


def keep_freed_memory() -> None:
    """Keep glibc from handing every large freed block back to the OS: each bootstrap call makes and
    drops many (resamples x texts) arrays, and with glibc's defaults the page faults of mapping them
    afresh took about 40% of the run's time (the workers, forked later, inherit the setting)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: blocks under 32 MiB come from the heap
    libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of freed heap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=500, help="simulated test sets per truth")
    ap.add_argument("--n-test", type=int, default=343, help="texts per test set")
    ap.add_argument("--seeds", type=int, default=5, help="seeds per arm")
    ap.add_argument("--resamples", type=int, default=1000, help="bootstrap replicates per set")
    ap.add_argument("--deltas", type=float, nargs="+", default=[0.0, 0.05], help="true differences in AUC")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes")
    ap.add_argument("--base-auc", type=float, default=0.72, help="the baseline's true AUC")
    ap.add_argument("--rho", type=float, default=0.85, help="correlation of the two arms' scores")
    ap.add_argument("--seed-rho", type=float, default=0.92, help="correlation of two seeds of one arm")
    ap.add_argument("--seed-sd", type=float, default=0.0, help="SD of a per-seed shift in class separation")
    args = ap.parse_args()
    if not 0.0 <= args.rho <= args.seed_rho <= 1.0:
        ap.error("need 0 <= --rho <= --seed-rho <= 1")

    keep_freed_memory()
    model = Model(args.n_test, args.seeds, args.base_auc, args.rho, args.seed_rho, args.seed_sd)
    t0 = time.perf_counter()
    rows = simulate(args.deltas, args.sets, model, args.resamples, args.seed, args.workers)
    print(
        f"{args.sets} sets per truth, {args.n_test} texts, {args.seeds} seeds, {args.resamples} resamples, "
        f"baseline AUC {args.base_auc}, rho {args.rho}, seed rho {args.seed_rho}, seed sd {args.seed_sd} "
        f"(true AUC SD between seeds {model.seed_auc_sd():.4f}), "
        f"seed {args.seed}, {args.workers} workers, {time.perf_counter() - t0:.1f} s"
    )
    print_table(rows)


if __name__ == "__main__":
    main()
