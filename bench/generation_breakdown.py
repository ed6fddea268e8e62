"""Where the llama.cpp backend's generation time goes: prompt evaluation, decoding, sampling.

One label of the demo, the pools a sweep over several temperatures asks for (8 attempts each),
through synthsweep's llama.cpp backend in-process (what a generator actor runs). Every
``llama_decode`` call is timed and counted as prompt evaluation (no row wants logits, or fewer
than all) or decoding (every row is a reply's next token); ``llama_sampler_sample`` as sampling;
saving and restoring evaluated prompts as prompt-state copies. It also runs on code from before
the prompt cache and batched groups (a builder without ``calls``), for the before/after in
docs/benchmarks.md. Nothing is asserted.

    python bench/generation_breakdown.py [--attempts 8] [--temperatures 0.7 0.8 0.9 1.0] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

PARTS = ("prompt", "decode", "sample", "state")


def timed(spent: dict[str, float]) -> None:
    """Wrap llama-cpp-python's decode, sampling and state calls to add their time to ``spent``."""
    import llama_cpp as ll

    decode = ll.llama_decode

    def timed_decode(ctx, batch):
        t = time.perf_counter()
        rc = decode(ctx, batch)
        wants = sum(1 for i in range(batch.n_tokens) if batch.logits[i])
        spent["decode" if wants == batch.n_tokens else "prompt"] += time.perf_counter() - t
        return rc

    ll.llama_decode = timed_decode
    for name, part in (
        ("llama_sampler_sample", "sample"),
        ("llama_state_get_data", "state"),
        ("llama_state_set_data", "state"),
    ):
        if hasattr(ll, name):
            setattr(ll, name, _timer(getattr(ll, name), part, spent))


def _timer(fn, part: str, spent: dict[str, float]):
    def run(*args):
        t = time.perf_counter()
        out = fn(*args)
        spent[part] += time.perf_counter() - t
        return out

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attempts", type=int, default=8, help="attempts per temperature")
    ap.add_argument("--temperatures", type=float, nargs="+", default=[0.7, 0.8, 0.9, 1.0])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from common import force_offline, resolve_generator_model
    from generators import PoolBuilder, SyntheticCache, create_backend
    from sweep import load_config
    from sweep.inputs import backend_kwargs, pool_source, sweep_dataset

    force_offline()
    work = Path(tempfile.mkdtemp(prefix="synthsweep-breakdown-"))
    cfg = load_config(REPO / "conf" / "demo.yaml", [f"storage={work}", f"generator.threads={args.threads}"])
    g = cfg.generator
    path = resolve_generator_model(g.model)
    data = sweep_dataset(cfg)
    source = pool_source(cfg, data, path, g)
    spent = dict.fromkeys(PARTS, 0.0)
    timed(spent)
    model = create_backend(g.backend, **backend_kwargs(path, g))
    cache = SyntheticCache(work / "cache.sqlite")
    label, replies, tokens = data.labels[0], 0, 0
    start = time.perf_counter()
    for t in args.temperatures:
        builder = PoolBuilder(source, cache, label, t)
        while builder.next_index < args.attempts:
            groups = builder.plan(args.attempts, max_groups=1)
            calls = builder.calls(groups) if hasattr(builder, "calls") else groups
            done = [model.generate(c) for c in calls]
            builder.add(calls, done)
            replies += sum(len(d) for d in done)
            tokens += sum(c.n_tokens for d in done for c in d)
    total = time.perf_counter() - start
    rest = total - sum(spent.values())
    print(
        f"{replies} replies, {tokens} tokens, {total:.1f} s, {total / replies:.2f} s per reply, "
        f"{tokens / total:.0f} tokens/s"
    )
    for part in (*PARTS, "rest"):
        seconds = rest if part == "rest" else spent[part]
        print(f"  {part:<8}{seconds:>7.1f} s  {seconds / total:>4.0%}")


if __name__ == "__main__":
    main()
