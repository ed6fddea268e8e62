"""Tune's own floor: how long a Tune run waits for its first trial when the trial does nothing.

The first trial of a synthsweep sweep starts 1.5 to 2 s after Tune does (``bench/sweep_overhead.py``,
"first trial's worker"). This measures the same wait with a trainable that only reports once, in
a Ray started here with idle workers ready, to tell synthsweep's part from Tune's. Also times a
fresh interpreter importing ``ray`` and ``ray.tune``: a trial worker needs both before any trial
code runs. Nothing is asserted; numbers depend on the machine.

    python bench/tune_start.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def import_seconds(module: str) -> float:
    """Wall seconds for a fresh interpreter to import ``module`` (interpreter start included)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - t0


def trivial(config: dict) -> None:
    import psutil
    from ray import tune

    tune.report({"worker_created": psutil.Process().create_time(), "done": True})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"  # as synthsweep runs Tune: no TensorBoard
    imports = {m: import_seconds(m) for m in ("ray", "ray.tune")}

    import ray
    from ray import tune
    from ray.tune.logger import JsonLoggerCallback

    ray.init(include_dashboard=False, logging_level="ERROR")
    time.sleep(3)  # the workers Ray starts ahead are up and idle

    class FirstStart(tune.Callback):
        at: float | None = None

        def on_trial_start(self, iteration, trials, trial, **info):
            FirstStart.at = FirstStart.at or time.time()

    waits, new_worker = [], []
    for _ in range(args.rounds):
        FirstStart.at = None
        tuner = tune.Tuner(
            trivial,
            param_space={"x": tune.uniform(0, 1)},
            tune_config=tune.TuneConfig(num_samples=1, reuse_actors=True),
            run_config=tune.RunConfig(
                storage_path=tempfile.mkdtemp(prefix="synthsweep-tune-start-"),
                verbose=0,
                callbacks=[FirstStart(), JsonLoggerCallback()],
            ),
        )
        t0 = time.time()
        result = tuner.fit()[0]
        assert FirstStart.at is not None
        waits.append(FirstStart.at - t0)
        new_worker.append(result.metrics["worker_created"] > t0 - 1.0)  # not one of Ray's idle workers
    ray.shutdown()

    sd = statistics.stdev(waits) if len(waits) > 1 else 0.0
    print(f"fresh interpreter: import ray {imports['ray']:.2f} s, import ray.tune {imports['ray.tune']:.2f} s")
    print(
        f"Tune's start to its first trial's start, trivial trainable: {statistics.mean(waits):.2f} s "
        f"± {sd:.2f} (SD over {len(waits)} runs)"
    )
    print(f"trial ran in a worker started for it (not an idle one): {sum(new_worker)} of {len(new_worker)} runs")
    ratio = statistics.mean(waits) / imports["ray.tune"]
    print(f"ratio of the wait to a fresh interpreter's import of ray.tune: {ratio:.2f}")


if __name__ == "__main__":
    main()
