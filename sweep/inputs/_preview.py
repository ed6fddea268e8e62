"""``synthsweep generate``: a quick look at synthetic examples, in this process, without Ray."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import UserError, force_offline, shown

from ..config import GeneratorConfig, SweepConfig
from ._prepared import check_examples_files, generator_path, sweep_data, sweep_dataset
from ._settings import backend_kwargs, pool_source

if TYPE_CHECKING:
    from generators import PoolResult


def generate_examples(
    cfg: SweepConfig,
    label: str,
    n: int,
    temperature: float | None = None,
    progress: Callable[[int], None] | None = None,
    generator: str | None = None,
) -> tuple[float, PoolResult]:
    """``n`` accepted examples of ``label`` through the same prompts, filters and cache as a sweep.

    ``generator`` names one of the configured generators (default: the first searched one).
    """
    from generators import PoolBuilder, SyntheticCache, attempt_budget, create_backend

    force_offline()
    if n < 1:
        raise UserError("--n must be at least 1")
    t = round(temperature if temperature is not None else sum(cfg.search.temperature) / 2, 1)
    if not 0.0 <= t <= 5.0:
        raise UserError(f"--temperature {t} is outside 0..5")
    g, path, source, data = _pool_inputs(cfg, label, generator)
    cache = SyntheticCache(cfg.synthetic_cache)
    builder = PoolBuilder(source, cache, label, t)
    budget = builder.next_index + attempt_budget(builder.missing(n))
    if builder.missing(n):
        model = create_backend(g.backend, **backend_kwargs(path, g, data))
        while builder.missing(n) and builder.next_index < budget:
            groups = builder.calls(builder.plan(n, max_groups=1))
            before = len(builder.accepted)
            builder.add(groups, [model.generate(group) for group in groups])
            if progress:
                progress(min(n, len(builder.accepted)) - min(n, before))
    result = builder.result(n)
    cache.close()
    return t, result


def _pool_inputs(cfg: SweepConfig, label: str, generator: str | None) -> tuple[GeneratorConfig, Path, Any, Any]:
    """(generator config, checked model path, pool source, what the backend reads of the data) for
    one label of a named generator, from the same data a sweep of ``cfg`` uses."""
    configs = cfg.generator_configs()
    name = generator or cfg.searched_generators()[0]
    if name not in configs:
        raise UserError(f"--generator {name!r} is not configured (generators: {', '.join(configs)})")
    path = generator_path(cfg, name)
    data = sweep_dataset(cfg)
    units = data.units()  # label sets: also each set the training texts carry, e.g. `negative;pain`
    if label not in units:
        classes = ", ".join(shown(lab, quote=False) for lab in units)
        raise UserError(f"--label {label!r} is not a class of the data (classes: {classes})")
    check_examples_files(cfg, data, {name: path})
    source = pool_source(cfg, data, path, configs[name], augments=cfg.augments(name))
    return configs[name], path, source, sweep_data(cfg, data)


def shots_used(
    cfg: SweepConfig, label: str, temperature: float, n: int, generator: str | None = None
) -> list[tuple[list[int], tuple[str, ...]]]:
    """For ``--show-text``: the few-shot examples behind each of the first ``n`` examples of a pool.

    Rebuilt from the cache and the seeded prompt plan, without generating: (example numbers
    counted from 1, the shots of their prompt), one entry per prompt group; a paraphrase's source
    comes first among its group's records.
    """
    from generators import PoolBuilder, SyntheticCache

    _, _, source, _ = _pool_inputs(cfg, label, generator)
    cache = SyntheticCache(cfg.synthetic_cache)
    builder = PoolBuilder(source, cache, label, temperature)
    cache.close()
    groups: dict[int, tuple[list[int], tuple[str, ...]]] = {}
    spp = builder.spec.samples_per_prompt
    for number, (idx, _, _) in enumerate(builder.accepted[:n], start=1):
        if idx // spp not in groups:
            req = builder.spec.request(label, source.shots_by_label[label], builder.temperature, idx)
            # A paraphrase's source is the record it rewrote: shown first.
            groups[idx // spp] = ([], (req.source, *req.shots) if req.source else req.shots)
        groups[idx // spp][0].append(number)
    return list(groups.values())
