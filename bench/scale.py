"""How a sweep's overhead grows with concurrency: Tune and the pool service, per trial.

A fake generator (instant texts) behind synthsweep's real pool service, and a fake trainable
whose work is a sleep, run as sweeps of 4, 16 and 64 concurrent trials on logical resources
(Ray lets a node declare more CPUs than it has). Each trial asks the pool service for its
synthetic set (one label x temperature pool), reports a few epochs and sleeps the rest, so the
time a trial does not spend sleeping is overhead.

Reported per size, and as a ratio to the smallest size (the goal: flat):
* Tune overhead per trial: (wall time - rounds x sleep) / rounds, where rounds = trials / concurrency
  (every round of trials runs at once, so this is what a round adds beyond its sleep);
* split into its two parts: the seconds from Ray's start until every worker process has begun its
  first trial (process start-up, paid once per worker), and the hand-over, a reused worker's gap
  between the end of one trial and the start of the next (paid per trial);
* pool-service latency: mean seconds a trial waits for its pool (cache hits after the first).

    python bench/scale.py [--sizes 4 16 64] [--rounds 2] [--sleep 2.0] [--tune-defaults]

Ray, the services and Tune are set up as a sweep sets them up: the idle workers a local Ray starts
(one per logical CPU) import ``ray.tune`` ahead and take the trials, the services run in processes
of their own (``sweep.cluster.init_ray``, ``trial_actors_on_ready_workers``). Workers start with
Ray, so the wall time and the start-up are counted from ``ray.init``. ``--tune-defaults`` runs
the same sweeps the way they ran before, for a comparison in one run: Tune's own trial
``runtime_env`` (every trial worker a new process), no preloading, services on Ray's idle workers.

Nothing is asserted; numbers depend on the machine (say which when you quote them).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path


class InstantWorker:
    """Stands in for a generator actor: a fake model that writes a text per request at once."""

    def generate(self, requests):
        from generators import Completion

        return [
            Completion(f"a {r.label} review number {r.seed} about a drug that worked", n_tokens=12) for r in requests
        ]


def fake_trial(config: dict, service: str, sleep_s: float, epochs: int) -> None:
    """A trial: fetch its pool from the real pool service, then 'train' by sleeping through epochs."""
    import os

    from ray import tune

    from generators import pool_from_service

    began = time.time()
    t0 = time.perf_counter()
    pool = pool_from_service(service, config["label"], config["temperature"], config["n"])
    pool_s = time.perf_counter() - t0
    for epoch in range(1, epochs + 1):
        time.sleep(sleep_s / epochs)
        row = {"epoch": epoch, "pool_s": pool_s, "n": len(pool.texts), "score": epoch / epochs}
        if epoch == epochs:  # as synthsweep's trials end; when and where, for the hand-over gaps
            row.update(done=True, began=began, ended=time.time(), worker=os.getpid())
        tune.report(row)


def run_size(concurrency: int, rounds: int, sleep_s: float, epochs: int, tune_defaults: bool) -> dict[str, float]:
    import os

    import ray
    from ray import tune
    from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback

    from common import service_runtime_env
    from generators import FilterSettings, PoolService, PoolSource, PrivacyLimits, PromptSpec
    from sweep.cluster import PRELOAD_VAR, TRIAL_WORKER_MODULE
    from sweep.search import trial_actors_on_ready_workers

    trials = concurrency * rounds
    if tune_defaults:
        os.environ.pop(PRELOAD_VAR, None)
    else:
        os.environ[PRELOAD_VAR] = TRIAL_WORKER_MODULE  # as init_ray starts a local Ray
    ray_began = time.time()
    t0 = time.perf_counter()
    ray.init(
        num_cpus=concurrency, include_dashboard=False, logging_level="ERROR", log_to_driver=False, namespace="scale"
    )
    try:
        storage = Path(tempfile.mkdtemp(prefix="synthsweep-scale-"))
        shots = {lab: [f"a real {lab} review {i} of a drug" for i in range(6)] for lab in ("negative", "positive")}
        spec = PromptSpec(
            system_prompt="Write a {label} review.",
            user_prompt="One more.",
            task="review",
            few_shot=2,
            samples_per_prompt=4,
            shot_max_chars=200,
            max_new_tokens=32,
            seed=0,
        )
        # No quality filters: every fake text is accepted, so pool size is what the trial asked for.
        filters = FilterSettings(
            near_duplicate=None,
            near_real=None,
            language_ratio=None,
            privacy=PrivacyLimits(max_shared_words=None, max_ngram_overlap=None),
        )
        source = PoolSource(model_hash="fake", spec=spec, shots_by_label=shots, min_chars=5, filters=filters)
        service_env = None if tune_defaults else service_runtime_env()  # own processes, as a sweep's
        workers = [ray.remote(InstantWorker).options(num_cpus=0, runtime_env=service_env).remote() for _ in range(2)]
        name = f"scale-pool-{concurrency}"
        # Held until the sweep ends: a named actor dies with its last handle.
        service = (
            ray.remote(PoolService)
            .options(name=name, num_cpus=0, max_concurrency=256, runtime_env=service_env)
            .remote(source, str(storage / "synthetic.sqlite"), workers)
        )
        trainable = tune.with_resources(
            tune.with_parameters(fake_trial, service=name, sleep_s=sleep_s, epochs=epochs), {"cpu": 1}
        )
        space = {
            "label": tune.choice(["negative", "positive"]),
            "temperature": tune.choice([0.7, 0.8, 0.9]),
            "n": tune.choice([6, 12]),
        }
        os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            # As a sweep runs (sweep.search.new_tuner): a finished trial's worker serves the next.
            tune_config=tune.TuneConfig(num_samples=trials, max_concurrent_trials=concurrency, reuse_actors=True),
            # Tune's JSON and CSV loggers without its TensorBoard one, as a sweep runs
            # (sweep.search.without_tensorboard).
            run_config=tune.RunConfig(
                storage_path=str(storage), verbose=0, callbacks=[JsonLoggerCallback(), CSVLoggerCallback()]
            ),
        )
        with nullcontext() if tune_defaults else trial_actors_on_ready_workers():
            results = tuner.fit()
        wall = time.perf_counter() - t0
        del service
    finally:
        ray.shutdown()
    pool_s = [r.metrics.get("pool_s", float("nan")) for r in results]
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for r in results:
        by_worker.setdefault(int(r.metrics["worker"]), []).append((r.metrics["began"], r.metrics["ended"]))
    firsts = [min(spans)[0] - ray_began for spans in by_worker.values()]
    gaps = [b[0] - a[1] for spans in by_worker.values() for a, b in zip(sorted(spans), sorted(spans)[1:])]
    return {
        "trials": trials,
        "wall_s": wall,
        "tune_overhead_per_trial_s": max(0.0, wall - rounds * sleep_s) * concurrency / trials,
        "start_s": max(firsts),
        "handover_s": statistics.fmean(gaps) if gaps else float("nan"),
        "pool_latency_s": statistics.fmean(pool_s),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 16, 64], help="concurrent trials per sweep")
    ap.add_argument("--rounds", type=int, default=2, help="trials per concurrency slot")
    ap.add_argument("--sleep", type=float, default=2.0, help="seconds of fake training per trial")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--tune-defaults", action="store_true", help="start trials as Tune does by default")
    args = ap.parse_args()

    rows = {size: run_size(size, args.rounds, args.sleep, args.epochs, args.tune_defaults) for size in args.sizes}
    base = rows[args.sizes[0]]
    print(
        f"\n{'concurrent':>10}{'trials':>8}{'wall s':>9}{'Tune s/trial':>14}{'ratio':>7}"
        f"{'all started s':>15}{'hand-over s':>13}{'ratio':>7}{'pool s':>9}{'ratio':>7}"
    )
    for size, r in rows.items():
        tune_ratio = r["tune_overhead_per_trial_s"] / base["tune_overhead_per_trial_s"]
        handover_ratio = r["handover_s"] / base["handover_s"]
        pool_ratio = r["pool_latency_s"] / base["pool_latency_s"]
        print(
            f"{size:>10}{r['trials']:>8}{r['wall_s']:>9.1f}{r['tune_overhead_per_trial_s']:>14.2f}"
            f"{tune_ratio:>7.2f}{r['start_s']:>15.1f}{r['handover_s']:>13.3f}{handover_ratio:>7.2f}"
            f"{r['pool_latency_s']:>9.3f}{pool_ratio:>7.2f}"
        )
    print("wall: from ray.init; Tune s/trial: (wall - rounds x sleep) / rounds;")
    print("all started: from ray.init until every worker began its first trial;")
    print("hand-over: a reused worker's gap from one trial's end to the next's start; ratio: over the smallest size")


if __name__ == "__main__":
    main()
