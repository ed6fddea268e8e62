"""How long a Tune run waits for its first trial, with Tune's defaults and as synthsweep starts it.

A trainable that only reports once, in a fresh local Ray per run (as each sweep has), measured two
ways in one run:

* **Tune's defaults**: Tune gives its trial actors a ``runtime_env`` of their own, so none of the
  idle workers Ray starts ahead can take one; the trial waits for a new process that imports
  ``ray`` and ``ray.tune`` before any trial code runs.
* **synthsweep's**: trial actors without that ``runtime_env``
  (``sweep.search.trial_actors_on_ready_workers``) and idle workers that import ``ray.tune`` and
  the trainable ahead (``RAY_preload_python_modules``, as ``sweep.cluster.init_ray`` sets it).

Prints each wait's mean and SD, how often the trial ran in a worker started for it, and the ratio
of the two waits. Also times a fresh interpreter importing ``ray`` and ``ray.tune``. Nothing is
asserted; numbers depend on the machine.

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
from contextlib import nullcontext


def import_seconds(module: str) -> float:
    """Wall seconds for a fresh interpreter to import ``module`` (interpreter start included)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - t0


def trivial(config: dict) -> None:
    import psutil
    from ray import tune

    tune.report({"worker_created": psutil.Process().create_time(), "done": True})


def first_trial_wait(synthsweep: bool) -> tuple[float, bool]:
    """(seconds from Tune's start to its trial's start, whether the trial got a new process) in a fresh Ray."""
    import ray
    from ray import tune
    from ray.tune.logger import JsonLoggerCallback

    from sweep.cluster import PRELOAD_VAR, TRIAL_WORKER_MODULE
    from sweep.search import trial_actors_on_ready_workers

    if synthsweep:
        os.environ[PRELOAD_VAR] = TRIAL_WORKER_MODULE
    else:
        os.environ.pop(PRELOAD_VAR, None)
    ray.init(include_dashboard=False, logging_level="ERROR")
    time.sleep(3)  # the workers Ray starts ahead are up and idle (as they are once generators have loaded)

    class FirstStart(tune.Callback):
        at: float | None = None

        def on_trial_start(self, iteration, trials, trial, **info):
            FirstStart.at = FirstStart.at or time.time()

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
    with trial_actors_on_ready_workers() if synthsweep else nullcontext():
        result = tuner.fit()[0]
    ray.shutdown()
    assert FirstStart.at is not None
    return FirstStart.at - t0, result.metrics["worker_created"] > t0 - 1.0  # not one of Ray's idle workers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"  # as synthsweep runs Tune: no TensorBoard
    imports = {m: import_seconds(m) for m in ("ray", "ray.tune")}
    print(f"fresh interpreter: import ray {imports['ray']:.2f} s, import ray.tune {imports['ray.tune']:.2f} s")

    means = {}
    for synthsweep, name in ((False, "Tune's defaults"), (True, "synthsweep's start")):
        runs = [first_trial_wait(synthsweep) for _ in range(args.rounds)]
        waits = [w for w, _ in runs]
        sd = statistics.stdev(waits) if len(waits) > 1 else 0.0
        means[synthsweep] = statistics.mean(waits)
        print(
            f"{name}: Tune's start to its first trial's start {means[synthsweep]:.2f} s ± {sd:.2f} "
            f"(SD over {len(waits)} runs); trial in a worker started for it: {sum(n for _, n in runs)} of {len(runs)}"
        )
    print(f"ratio, synthsweep's start to Tune's defaults: {means[True] / means[False]:.2f}")


if __name__ == "__main__":
    main()
