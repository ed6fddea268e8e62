"""What the typed config becomes for generator actors, the pool service and trials.

Each function translates; none starts anything. The pipeline hands the results to Ray.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import sha256_json, sha256_path

from ..config import GeneratorConfig, SweepConfig
from ._data import Dataset
from ._prepared import Prepared

if TYPE_CHECKING:
    from generators import FilterSettings, PoolSource, PrivacyLimits, PromptSpec, SweepData
    from trainables import ClassifierSettings, TrialData, TrialSettings

_BACKEND_PACKAGES = {"llama_cpp": "llama_cpp_python", "transformers": "transformers"}


def backend_version(backend: str) -> str | None:
    """The installed version of the library a backend computes with (another version, other texts)."""
    from importlib.metadata import PackageNotFoundError, version

    if backend not in _BACKEND_PACKAGES:  # a file: read as it is, by no model library
        return None
    try:
        return version(_BACKEND_PACKAGES[backend])
    except PackageNotFoundError:
        return None


def generator_cache_key(g: GeneratorConfig, generator_path: Path, device: str | None = None) -> str:
    """The synthetic cache's model key: everything besides the prompt that changes a generated text.

    The model's content, the backend, its library version and its engine, the device (the same weights give
    other texts for the same seed on a GPU), the prompt style, the output constraint and the
    sampler settings. The prompt itself (templates, shots, lengths, seed) is the cache's prompt key.
    ``device`` is where the generator workers actually run (``gpu`` or ``cpu``, as they report it);
    without it, where the config asks them to (the start-up checks refuse a GPU that is not usable).
    """
    from generators import backend_config

    # A backend's own change of computation (ENGINE) gives other texts; keys of backends without one stay as before.
    engine = getattr(backend_config(g.backend), "ENGINE", None)
    return sha256_json(
        {
            **({"engine": engine} if engine else {}),
            "model": sha256_path(generator_path),
            "backend": g.backend,
            "backend_version": backend_version(g.backend),
            "device": device or ("gpu" if g.actor_gpus > 0 else "cpu"),
            "prompt_style": g.prompt_style,
            "constrain": g.constrain,
            "sampler": {"top_p": g.top_p, "top_k": g.top_k, "min_p": g.min_p, "repeat_penalty": g.repeat_penalty},
        }
    )


def pool_source(
    cfg: SweepConfig,
    data: Dataset,
    generator_path: Path,
    g: GeneratorConfig,
    device: str | None = None,
    augments: list[str] | None = None,
) -> PoolSource:
    """What a pool service needs to build pools: prompts, the real shots per label, filters, the cache key.

    ``augments``: the ways this generator writes examples in the sweep (``SweepConfig.augments``);
    default: its own ``augment``."""
    augments = augments if augments is not None else ([] if g.is_file else [g.augment])
    from generators import Augment, PoolSource, PromptSpec

    note = marker_note(cfg.data.markers)
    spec = PromptSpec(
        system_prompt=g.system_prompt + note,
        user_prompt=g.user_prompt,
        task=g.task,
        few_shot=g.few_shot,
        samples_per_prompt=g.samples_per_prompt,
        shot_max_chars=g.shot_max_chars,
        max_new_tokens=g.max_new_tokens,
        seed=cfg.seed,
        list_prompt=g.list_prompt + note,
        markers=cfg.data.markers,
        decode_groups=1 if g.is_file else g.decode_groups,
        label_separator=data.separator or "",
    )
    shots = {key: data.unit_texts(unit) for key, unit in data.units().items()}
    return PoolSource(
        model_hash=generator_cache_key(g, generator_path, device),
        spec=spec,
        shots_by_label=shots,
        min_chars=g.min_chars,
        filters=filter_settings(cfg),
        paraphrase=paraphrase_spec(g, spec, note) if Augment.PARAPHRASE in augments else None,
        augment=Augment.PARAPHRASE if augments == [Augment.PARAPHRASE] else Augment.GENERATE,
        real_texts=tuple(data.train.texts) if data.multilabel else (),
    )


def paraphrase_spec(g: GeneratorConfig, spec: PromptSpec, note: str = "") -> PromptSpec:
    """The generator's prompts for rewriting one real example: its own templates and shot count
    (``note``: what the relation task's markers ask for)."""
    from dataclasses import replace

    from generators import Augment

    return replace(
        spec,
        augment=Augment.PARAPHRASE,
        system_prompt=g.paraphrase_system_prompt + note,
        user_prompt=g.paraphrase_user_prompt,
        list_prompt=g.paraphrase_list_prompt + note,
        few_shot=g.paraphrase_shots,
    )


def marker_note(markers: tuple[str, ...]) -> str:
    """What the prompts add for a relation task: keep the entity markers, each once, in order. Braces
    are doubled: the prompts are format strings."""
    if not markers:
        return ""
    note = f" Keep the entity markers {' '.join(markers)} around the entities, each once and in that order."
    return note.replace("{", "{{").replace("}", "}}")


def backend_kwargs(generator_path: Path, g: GeneratorConfig, data: SweepData | None = None) -> dict[str, Any]:
    """The keyword arguments a generator worker builds its backend with: the backend's own config,
    made from the generator section (and, for a file, the data's columns) by the backend itself
    (``from_generator``)."""
    from generators import backend_config

    return asdict(backend_config(g.backend).from_generator(g, str(generator_path), data=data))


def classifier_settings(p: Prepared) -> ClassifierSettings:
    from trainables import ClassifierSettings

    c = p.cfg.classifier
    return ClassifierSettings(
        path=str(p.classifier_path.resolve()),
        hash=sha256_path(p.classifier_path),
        mode=c.mode,
        epochs=c.epochs,
        learning_rate=c.learning_rate,
        batch_size=c.batch_size,
        max_length=c.max_length,
        weight_decay=c.weight_decay,
        lora_r=c.lora_r,
        model=c.model,
        markers=p.cfg.data.markers,
        multilabel=p.cfg.data.multilabel,
    )


def trial_settings(
    p: Prepared, services: dict[str, str], env: dict[str, str], feature_store: str | None = None
) -> TrialSettings:
    """Fixed for the whole sweep: ``services`` maps each generator to its pool service's actor name,
    ``feature_store`` names the actor that owns the feature cache (None: trials open the file)."""
    from trainables import TrialSettings

    cfg = p.cfg
    return TrialSettings(
        classifier=classifier_settings(p),
        seed=cfg.seed,
        repeats=cfg.eval.repeats_for(cfg.classifier.mode),
        cpus=cfg.resources.trial.cpus,
        gpus=cfg.resources.trial.gpus,
        services=dict(services),
        feature_cache=str(cfg.feature_cache.resolve()),
        feature_store=feature_store,
        env=env,
        consistency_min_prob=cfg.quality.consistency_min_prob,
        max_synthetic_weight=cfg.search.max_synthetic_weight,
        synthetic_labels=cfg.search.synthetic_labels[0],
        checkpoint_interval_s=cfg.search.checkpoint_interval_s,
    )


def trial_data(data: Dataset) -> TrialData:
    """The train and validation splits as trials see them (the test split stays with the driver)."""
    from trainables import TrialData

    return TrialData(
        labels=data.labels,
        train_texts=data.train.texts,
        train_y=data.train.y.tolist(),
        val_texts=data.validation.texts,
        val_y=data.validation.y.tolist(),
        positive=data.positive,
        units={key: list(unit) for key, unit in data.units().items()} if data.multilabel else {},
    )


def privacy_limits(cfg: SweepConfig) -> PrivacyLimits:
    from generators import PrivacyLimits

    p = cfg.privacy
    return PrivacyLimits(ngram=p.ngram, max_shared_words=p.max_shared_words, max_ngram_overlap=p.max_ngram_overlap)


def filter_settings(cfg: SweepConfig) -> FilterSettings:
    from generators import FilterSettings

    q = cfg.quality
    return FilterSettings(
        max_chars=q.max_chars,
        shingle=q.shingle,
        near_duplicate=q.near_duplicate,
        near_real=q.near_real,
        language_ratio=q.language_ratio,
        privacy=privacy_limits(cfg),
        markers=cfg.data.markers,
    )


def provenance(p: Prepared) -> dict[str, Any]:
    """``summary.json``'s ``models``: each searched generator and the classifier, with content hashes."""
    generators = {
        name: {
            "name": g.model,
            "backend": g.backend,
            "path": str(p.generator_paths[name]),
            "sha256": sha256_path(p.generator_paths[name]),
            "cache_key": generator_cache_key(g, p.generator_paths[name]),
        }
        for name, g in p.generators.items()
    }
    return {
        # The first searched generator (it serves the baseline); every one is under "generators".
        "generator": next(iter(generators.values())),
        "generators": generators,
        "classifier": {
            "name": p.cfg.classifier.model,
            "path": str(p.classifier_path),
            "sha256": sha256_path(p.classifier_path),
        },
    }
