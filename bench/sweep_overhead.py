"""Where a small sweep's wall time goes: Ray start, generator start, generation, training, Tune overhead.

Runs the same small sweep twice in one process on a fresh storage directory: cold (empty
synthetic and feature caches) and warm (everything cached). Prints each part's seconds and share
of the wall time (the whole ``run_sweep`` call, as a user waits for it), the warm/cold ratio and
Tune's overhead per trial. Nothing is asserted; numbers depend on the machine.

Tune overhead is the Tune run's time that no trial accounts for plus the time trials sat in
``tune.report`` (handing a result and a checkpoint to the driver), split into the wait for the
first trial's worker, those reports, and the rest (hand-overs between trials, the end).

    python bench/sweep_overhead.py [--trials 4] [--max-synthetic 12] [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def first_trial_wait(run_dir: Path) -> float:
    """Seconds from Tune's start to its first trial's start, from Tune's own experiment state.

    What Tune and Ray do before any trial code runs: place the trial, find it a worker (an idle
    one Ray started ahead, which imported ``ray.tune`` already: ``sweep.cluster.init_ray``), set
    the trainable up.
    """
    state_file = sorted(run_dir.glob("experiment_state-*.json"))[-1]
    blob = json.loads(state_file.read_text())
    started = [json.loads(entry[1])["start_time"] for entry in blob["trial_data"]]
    return min(started) - blob["runner_data"]["_start_time"]


def parts(run_dir: Path, measured_s: float) -> dict[str, float]:
    """Seconds per part of one ``run_sweep`` call that took ``measured_s`` in all."""
    from sweep.rundir import read_trials

    summary = json.loads((run_dir / "summary.json").read_text())
    t = summary["timings"]
    last = [r.rows[-1] for r in read_trials(run_dir) if r.rows]
    generation = sum(float(r.get("generation_s") or 0) for r in last)
    # A trial's train_s includes the time it sat in tune.report (the driver taking the result and
    # checkpoint): that is Tune's overhead, moved here from training.
    reporting = sum(float(r.get("tune_report_s") or 0) for r in last)
    training = sum(float(r.get("train_s") or 0) for r in last) - reporting
    trial_total = sum(float(r.get("time_total_s") or 0) for r in last)
    outside = max(0.0, t["tune_s"] - trial_total)
    first = min(first_trial_wait(run_dir), outside)
    timed = t["ray_start_s"] + t["generator_start_s"] + t["tune_s"] + t.get("verdict_s", 0.0)
    return {
        "ray start": t["ray_start_s"],
        "generator start": t["generator_start_s"],
        "generation (in trials)": generation,
        "training (in trials)": training,
        "other trial work": max(0.0, trial_total - generation - training - reporting),
        "Tune overhead": outside + reporting,
        "  first trial's worker": first,
        "  reports (in trials)": reporting,
        "  between trials, end": outside - first,
        "verdict": t.get("verdict_s", 0.0),
        "the rest": max(0.0, measured_s - timed),  # data, checks, summary, plots
        "wall": measured_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--max-synthetic", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--verdict-seeds", type=int, default=5)
    args = ap.parse_args()

    from sweep import load_config, run_sweep

    storage = Path(tempfile.mkdtemp(prefix="synthsweep-bench-"))
    overrides = [
        f"storage={storage}",
        f"search.num_samples={args.trials}",
        "data.max_train=60",
        f"search.n_synthetic=[0, {args.max_synthetic}]",
        "search.n_synthetic_step=6",
        f"classifier.epochs={args.epochs}",
        f"eval.verdict_seeds={args.verdict_seeds}",
    ]
    cfg = load_config(REPO / "conf" / "demo.yaml", overrides)
    results = {}
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        run_dir = run_sweep(cfg).run_dir  # each run starts and stops its own Ray, as a user's would
        measured = time.perf_counter() - t0
        results[label] = parts(run_dir, measured)

    print(f"\nsmall sweep: {args.trials} trials, n_synthetic up to {args.max_synthetic}, storage {storage}")
    print(f"{'part':<26}{'cold s':>9}{'share':>8}{'warm s':>9}{'share':>8}")
    for key in results["cold"]:
        if key == "wall":
            continue
        c, w = results["cold"][key], results["warm"][key]
        print(f"{key:<26}{c:>9.1f}{c / results['cold']['wall']:>8.0%}{w:>9.1f}{w / results['warm']['wall']:>8.0%}")
    print(f"{'wall':<26}{results['cold']['wall']:>9.1f}{'':>8}{results['warm']['wall']:>9.1f}")
    print(f"warm/cold wall ratio: {results['warm']['wall'] / results['cold']['wall']:.2f}")
    for label in ("cold", "warm"):
        print(f"Tune overhead per trial, {label}: {results[label]['Tune overhead'] / args.trials:.2f} s")


if __name__ == "__main__":
    main()
