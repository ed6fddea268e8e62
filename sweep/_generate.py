"""``synthsweep generate``: a quick look at synthetic examples, in this process, without Ray."""

from __future__ import annotations

from pathlib import Path

from ._bundled import resolve_generator_model
from ._data import load_dataset
from ._errors import UserError
from ._offline import force_offline
from .config import SweepConfig


def generate_examples(
    cfg: SweepConfig,
    label: str,
    n: int,
    temperature: float | None = None,
    progress=None,
    generator: str | None = None,
):
    """``n`` accepted examples of ``label`` through the same prompts, filters and cache as a sweep.

    ``generator`` names one of the configured generators (default: the first searched one).
    """
    from generators import PoolBuilder, SyntheticCache, create_backend
    from generators._service import attempt_budget

    from ._runner import backend_kwargs, generator_key, pool_source

    force_offline()
    if n < 1:
        raise UserError("--n must be at least 1")
    t = round(temperature if temperature is not None else sum(cfg.search.temperature) / 2, 1)
    if not 0.0 <= t <= 5.0:
        raise UserError(f"--temperature {t} is outside 0..5")
    configs = cfg.generator_configs()
    name = generator or cfg.searched_generators()[0]
    if name not in configs:
        raise UserError(f"--generator {name!r} is not configured (generators: {', '.join(configs)})")
    g = configs[name]
    generator_path = resolve_generator_model(
        g.model, key=f"{generator_key(cfg, name)}.model", allow_dir=g.backend == "transformers"
    )
    data = load_dataset(cfg.data, cfg.seed, min_per_label=g.few_shot)
    if label not in data.labels:
        raise UserError(f"--label {label!r} is not a class of the data (classes: {', '.join(data.labels)})")
    source = pool_source(cfg, data, generator_path, g)
    cache = SyntheticCache(Path(cfg.cache_dir) / "synthetic.sqlite")
    builder = PoolBuilder(source, cache, label, t)
    budget = builder.next_index + attempt_budget(builder.missing(n))
    if builder.missing(n):
        model = create_backend(g.backend, **backend_kwargs(cfg, generator_path, g))
        while builder.missing(n) and builder.next_index < budget:
            groups = builder.plan(n, max_groups=1)
            before = len(builder.accepted)
            builder.add(groups, [model.generate(g) for g in groups])
            if progress:
                progress(min(n, len(builder.accepted)) - min(n, before))
    result = builder.result(n)
    cache.close()
    return t, result
