"""Where a small sweep's wall time goes: Ray start, generator start, generation, training, Tune overhead.

Runs the same small sweep twice in one process on a fresh storage directory: cold (empty
synthetic and feature caches) and warm (everything cached). Prints each part's seconds and share
of the wall time (the whole ``run_sweep`` call, as a user waits for it), the warm/cold ratio and
Tune's overhead per trial. Nothing is asserted; numbers depend on the machine.

    python bench/sweep_overhead.py [--trials 4] [--max-synthetic 12] [--epochs 10]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def parts(run_dir: Path, measured_s: float) -> dict[str, float]:
    """Seconds per part of one ``run_sweep`` call that took ``measured_s`` in all."""
    from sweep._trials import read_trials

    summary = json.loads((run_dir / "summary.json").read_text())
    t = summary["timings"]
    last = [r.rows[-1] for r in read_trials(run_dir) if r.rows]
    generation = sum(float(r.get("generation_s") or 0) for r in last)
    training = sum(float(r.get("train_s") or 0) for r in last)
    trial_total = sum(float(r.get("time_total_s") or 0) for r in last)
    timed = t["ray_start_s"] + t["generator_start_s"] + t["tune_s"] + t.get("verdict_s", 0.0)
    return {
        "ray start": t["ray_start_s"],
        "generator start": t["generator_start_s"],
        "generation (in trials)": generation,
        "training (in trials)": training,
        "other trial work": max(0.0, trial_total - generation - training),
        "Tune overhead": max(0.0, t["tune_s"] - trial_total),
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

    import ray

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
        run_dir = run_sweep(cfg)
        measured = time.perf_counter() - t0
        ray.shutdown()  # each run pays its own Ray start, as a user's would
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
