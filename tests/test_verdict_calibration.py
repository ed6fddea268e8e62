"""The verdict's paired bootstrap is calibrated: bench/verdict_calibration.py at a small size, fixed seed."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from .conftest import REPO

NOMINAL = 0.95
FALSE_BETTER = 0.025
SETS = 400


def _bench():
    name = "bench_verdict_calibration"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "verdict_calibration.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def at_truth_zero():
    """400 test sets of 150 texts, 5 seeds per arm, 300 resamples each, no true difference (~10 s)."""
    bench = _bench()
    (zero,) = bench.simulate([0.0], SETS, bench.Model(n_test=150, seeds=5), resamples=300, seed=20240)
    return zero


def _mc_se(p: float) -> float:
    """Monte Carlo SE of a share over SETS sets if the true share is ``p`` (the nominal one)."""
    return float(np.sqrt(p * (1.0 - p) / SETS))


def test_coverage_at_truth_zero_is_not_below_nominal(at_truth_zero):
    # One-sided on purpose. In this model the bootstrap is conservative: resampling the texts already
    # carries each text's per-seed noise, and resampling the seeds on top counts it again, so the
    # bootstrap SE comes out about 1.13-1.18x the real spread of the estimates. Measured at this size
    # over four seeds: coverage 0.968-0.983, up to 3 MC SEs above 0.95; the bench at full size:
    # 0.968 +- 0.008. A coverage above nominal is a known, documented cost (docs/verdict.md,
    # "Calibration, measured"); one below is a bug.
    assert at_truth_zero.coverage >= NOMINAL - 3 * _mc_se(NOMINAL), at_truth_zero
    assert at_truth_zero.se_ratio > 0.9, at_truth_zero


def test_false_better_rate_at_truth_zero_is_at_most_nominal(at_truth_zero):
    assert at_truth_zero.better <= FALSE_BETTER + 3 * _mc_se(FALSE_BETTER), at_truth_zero


def test_point_estimate_is_unbiased(at_truth_zero):
    assert abs(at_truth_zero.mean_estimate) <= 3 * at_truth_zero.estimate_sd / np.sqrt(SETS), at_truth_zero


def test_power_at_a_large_difference():
    bench = _bench()
    (big,) = bench.simulate([0.1], 40, bench.Model(n_test=150, seeds=5), resamples=200, seed=1)
    assert big.better >= 0.9 and big.worse == 0.0, big


def test_the_same_seed_gives_the_same_figures():
    bench = _bench()
    model = bench.Model(n_test=60, seeds=3)
    once = bench.simulate([0.0, 0.05], 10, model, 100, seed=3)
    assert once == bench.simulate([0.0, 0.05], 10, model, 100, seed=3)
    assert once[1:] == bench.simulate([0.05], 10, model, 100, seed=3)  # a truth's figures need no other
