"""Generation speed: naive llama-cpp-python against synthsweep's prompts, batched decode and its Ray actor.

One run, the demo's prompts and filters, the same number of accepted examples per label and
temperature (a sweep asks for one pool per label and temperature it tries; by default the
temperatures of the demo's search range, 0.7 to 1.0) from:

  (a)  naive: one ``create_chat_completion`` per sample with freshly drawn shots (the few-shot
       chat synthsweep uses, without prefill; replies parsed and filtered like synthsweep's)
  (b)  llama-cpp-python called in-process with synthsweep's prompts, one ``create_completion``
       per sample: the attempts of a group share their prompt, and llama.cpp reuses the
       processed prefix (this was synthsweep's engine before batched decoding, ``n_seq=1``)
  (b+) synthsweep's llama.cpp backend in-process: a group's prompt is processed once and its
       samples decode together as sequences of one batch; an evaluated prompt is kept for the
       same group at the next temperature
  (c)  the synthsweep generator actor on a real (local) Ray: the pool service plans attempt
       groups, a GeneratorWorker actor runs (b+), results go through the cache and the filters

Every configuration starts from an empty synthetic cache. The labels are run in turn, each
through all four configurations, so a change in the machine's load hits them alike, and the
in-process configurations run at the niceness Ray gives its workers (15). Reported:
accepted examples per second and generated tokens per second, and the ratios c/a (the goal:
at least 3 on two cores), c/b (synthsweep against calling llama-cpp-python with its prompts),
c/b+ (the actor's overhead) and b+/b (batched decoding). Model loading and Ray start are
excluded (reported apart). Nothing is asserted; the numbers depend on the machine.

    python bench/generation.py [--per-label 6] [--temperatures 0.7 0.8 0.9 1.0] [--threads 2]
                               [--model smollm2-135m-instruct]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# `python bench/generation.py` puts bench/ first on the path, where bench/sweep.py would shadow
# the sweep package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]


@dataclass
class Tally:
    seconds: float = 0.0
    accepted: int = 0
    attempts: int = 0
    tokens: int = 0
    texts: list[str] = field(default_factory=list)

    def add(self, seconds: float, accepted: int, attempts: int, tokens: int) -> None:
        self.seconds += seconds
        self.accepted += accepted
        self.attempts += attempts
        self.tokens += tokens


def naive_pool(llm, source, label: str, temperature: float, n: int, seed: int) -> tuple[int, int, int]:
    """(accepted, attempts, tokens): one chat completion per sample, fresh shots each time."""
    from generators import PoolFilter
    from generators._prompts import cut_at_word, stable_int
    from generators._styles import chat_messages, unwrap_json_text
    from generators._types import GenerationRequest

    spec = source.spec
    pool = source.shots_by_label[label]
    flt = PoolFilter([t for texts in source.shots_by_label.values() for t in texts], min_chars=source.min_chars)
    rng = np.random.default_rng(stable_int(seed, "naive", label))
    accepted = attempts = tokens = 0
    fill = {"label": label, "task": spec.task}
    while accepted < n and attempts < 4 * n + 24:
        picks = rng.choice(len(pool), size=min(spec.few_shot, len(pool)), replace=False)
        req = GenerationRequest(
            label=label,
            shots=tuple(cut_at_word(pool[i], spec.shot_max_chars) for i in picks),
            temperature=temperature,
            seed=int(rng.integers(2**31)),
            max_new_tokens=spec.max_new_tokens,
            system_prompt=spec.system_prompt.format(**fill),
            user_prompt=spec.user_prompt.format(**fill),
        )
        resp = llm.create_chat_completion(
            messages=chat_messages(req),
            temperature=temperature,
            top_p=0.95,
            repeat_penalty=1.1,
            max_tokens=spec.max_new_tokens,
            seed=req.seed,
        )
        choice = resp["choices"][0]
        tokens += int(resp["usage"]["completion_tokens"])
        attempts += 1
        text = unwrap_json_text(choice["message"]["content"] or "")
        if flt.offer(text, choice.get("finish_reason") == "length") is not None:
            accepted += 1
    return accepted, attempts, tokens


def in_process_pool(model, source, cache_path: Path, label: str, temperature: float, n: int):
    """The PoolBuilder loop of ``synthsweep generate``: plan a group, generate it, filter, repeat."""
    from generators import PoolBuilder, SyntheticCache, attempt_budget

    cache = SyntheticCache(cache_path)
    builder = PoolBuilder(source, cache, label, temperature)
    budget = builder.next_index + attempt_budget(builder.missing(n))
    while builder.missing(n) and builder.next_index < budget:
        groups = builder.calls(builder.plan(n, max_groups=1))
        builder.add(groups, [model.generate(g) for g in groups])
    result = builder.result(n)
    cache.close()
    return result


def accepted(result) -> int:
    """Every accepted attempt, also those past ``n``: the last group's extra examples stay in the
    cache for the next trial that needs the pool, so they are work done, not waste."""
    return result.attempts - sum(result.rejected.values())


def load_avg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-label", type=int, default=6, help="accepted examples per label and configuration")
    ap.add_argument("--threads", type=int, default=2, help="llama.cpp threads (the generator actor gets the same)")
    ap.add_argument("--model", default="smollm2-135m-instruct", help="a bundled chat model or a GGUF path")
    ap.add_argument(
        "--temperatures",
        type=float,
        nargs="+",
        default=[0.7, 0.8, 0.9, 1.0],
        help="one pool per label and temperature, as a sweep over these temperatures asks for them",
    )
    args = ap.parse_args()

    from llama_cpp import Llama

    from common import force_offline, resolve_generator_model
    from generators import PoolResult, create_backend, start_service
    from sweep import load_config
    from sweep.inputs import backend_kwargs, pool_source, sweep_dataset

    env = force_offline()
    work = Path(tempfile.mkdtemp(prefix="synthsweep-genbench-"))
    cfg = load_config(
        REPO / "conf" / "demo.yaml",
        [f"storage={work}", f"generator.model={args.model}", f"generator.threads={args.threads}"],
    )
    g = cfg.generator
    path = resolve_generator_model(g.model)
    data = sweep_dataset(cfg)
    source = pool_source(cfg, data, path, g)
    kwargs = backend_kwargs(path, g)
    print(
        f"model {g.model}, {args.threads} threads, {args.per_label} accepted examples per label x "
        f"{len(data.labels)} labels x {len(args.temperatures)} temperatures {args.temperatures}, "
        f"max_new_tokens {g.max_new_tokens}, "
        f"{g.few_shot} shots of <= {g.shot_max_chars} chars, {g.samples_per_prompt} samples per prompt"
    )
    print(f"load average at start: {load_avg()}", flush=True)

    # One model at a time in this process: with several llama.cpp contexts alive, the idle ones'
    # threads spin and take the cores from the busy one (measured: 4-7x slower with 2 threads).
    loaders = {
        "a": lambda: Llama(
            model_path=str(path),
            n_ctx=g.context_length,
            n_threads=args.threads,
            n_threads_batch=args.threads,
            verbose=False,
        ),
        "b": lambda: create_backend("llama_cpp", **{**kwargs, "n_seq": 1}),
        "b+": lambda: create_backend("llama_cpp", **kwargs),
    }
    load_s = 0.0

    import ray

    t0 = time.perf_counter()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        runtime_env={"env_vars": env},
        logging_level="ERROR",
        log_to_driver=False,  # the pool service's progress bars would interleave with the table
    )
    service, workers = start_service(
        source=source,
        cache_path=work / "actor.sqlite",
        backend=g.backend,
        backend_kwargs=kwargs,
        offline_env=env,
        actors=1,
        cpus=1,
        gpus=0,
        name="genbench-pool",
    )
    actor_start_s = time.perf_counter() - t0
    # Ray starts its workers at niceness 15; on a shared machine that alone would slow the actor
    # against in-process runs at niceness 0. Run the in-process configurations at the same.
    os.nice(max(0, 15 - os.nice(0)))

    tallies = {key: Tally() for key in ("a", "b", "b+", "c")}
    temps = [round(t, 1) for t in args.temperatures]
    n = args.per_label
    for label in data.labels:
        for key in ("a", "b", "b+"):
            start = time.perf_counter()
            model = loaders[key]()  # one model per label, kept across its temperatures as the actor keeps its own
            load_s += time.perf_counter() - start
            for t in temps:
                start = time.perf_counter()
                if key == "a":
                    acc, att, tok = naive_pool(model, source, label, t, n, cfg.seed)
                    tallies[key].add(time.perf_counter() - start, acc, att, tok)
                else:
                    r = in_process_pool(model, source, work / f"{key.replace('+', 'plus')}.sqlite", label, t, n)
                    tallies[key].add(time.perf_counter() - start, accepted(r), r.attempts, r.new_tokens)
                    tallies[key].texts += r.texts
            del model
            gc.collect()
        for t in temps:
            start = time.perf_counter()
            r = PoolResult(**ray.get(service.get_pool.remote(label, t, n)))
            tallies["c"].add(time.perf_counter() - start, accepted(r), r.attempts, r.new_tokens)
            tallies["c"].texts += r.texts
    ray.shutdown()

    names = {
        "a": "(a) naive create_chat_completion",
        "b": "(b) in-process, one completion/sample",
        "b+": "(b+) in-process, batched decode",
        "c": "(c) synthsweep actor (Ray)",
    }
    print(
        f"\n{'configuration':<40}{'seconds':>9}{'accepted':>10}{'attempts':>10}{'tokens':>8}"
        f"{'examples/s':>12}{'tokens/s':>10}"
    )
    rate = {}
    for key, tl in tallies.items():
        rate[key] = (tl.accepted / tl.seconds, tl.tokens / tl.seconds)
        print(
            f"{names[key]:<40}{tl.seconds:>9.1f}{tl.accepted:>10}{tl.attempts:>10}{tl.tokens:>8}"
            f"{rate[key][0]:>12.2f}{rate[key][1]:>10.1f}"
        )
    print("\nratios (examples/s, tokens/s):")
    for num, den, what in (
        ("c", "a", "synthsweep actor vs naive"),
        ("c", "b", "synthsweep actor vs llama-cpp-python with synthsweep's prompts"),
        ("c", "b+", "actor overhead"),
        ("b+", "b", "batched decoding"),
    ):
        print(f"  {num}/{den}: {rate[num][0] / rate[den][0]:.2f}x, {rate[num][1] / rate[den][1]:.2f}x   ({what})")
    print(f"actor and in-process backend wrote the same texts: {tallies['b+'].texts == tallies['c'].texts}")
    print(f"excluded: loading the in-process models {load_s:.1f} s; Ray start + actor load {actor_start_s:.1f} s")
    print(f"load average at end: {load_avg()}; niceness of this process and of Ray's workers: {os.nice(0)}")


if __name__ == "__main__":
    main()
