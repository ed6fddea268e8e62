"""A sweep's checked inputs and what they become for generators and trials.

``prepare`` checks models and data before anything starts (bad input fails fast and writes
nothing); the functions below turn the typed config into the settings generator actors, the pool
service and trials receive. The runner orchestrates; this module only translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    UserError,
    force_offline,
    resolve_classifier_model,
    resolve_generator_model,
    sha256_json,
    sha256_path,
)
from generators import GeneratorBackend

from ._data import Dataset, load_dataset
from ._runstate import read_state
from .config import GeneratorConfig, SweepConfig


@dataclass
class Prepared:
    """Everything checked before Ray starts, so bad input fails fast and writes nothing."""

    cfg: SweepConfig
    data: Dataset
    generator_path: Path
    """The first searched generator's model (it also serves the baseline)."""
    classifier_path: Path
    run_dir: Path
    generator_paths: dict[str, Path] | None = None
    """Every searched generator's model by generator name."""

    @property
    def generators(self) -> dict[str, GeneratorConfig]:
        """The searched generators by name, in order."""
        configs = self.cfg.generator_configs()
        return {name: configs[name] for name in self.cfg.searched_generators()}


def choose_run_dir(cfg: SweepConfig) -> Path:
    """``<storage>/<name>``, or the next free ``<name>-N`` if that holds a finished sweep.

    An unfinished sweep is never overwritten or silently restarted: the user is sent to resume.
    """
    base = cfg.run_dir
    candidate, n = base, 1
    while candidate.exists() and any(candidate.iterdir()):
        state = read_state(candidate)
        if state is None:
            raise UserError(f"{candidate} exists and is not a synthsweep run; choose another name with --set name=...")
        if state.status == "failed":
            raise UserError(
                f"{candidate} holds a sweep in which no trial finished; retry it with: "
                f"synthsweep resume {candidate} --restart-errored (or start afresh with --set name=...)"
            )
        if state.status != "finished":
            raise UserError(
                f"{candidate} holds an unfinished sweep; continue it with: synthsweep resume {candidate} "
                f"(or start afresh under another name with --set name=...)"
            )
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def generator_key(cfg: SweepConfig, name: str) -> str:
    """The config key of a generator's section, for messages: `generator` or `generators.<name>`."""
    return f"generators.{name}" if cfg.generators else "generator"


def resolve_generators(cfg: SweepConfig) -> dict[str, Path]:
    """Each searched generator's checked model path (bad input fails here, before Ray starts)."""
    configs = cfg.generator_configs()
    return {
        name: resolve_generator_model(
            configs[name].model,
            key=f"{generator_key(cfg, name)}.model",
            allow_dir=configs[name].backend == GeneratorBackend.TRANSFORMERS,
        )
        for name in cfg.searched_generators()
    }


def prepare(cfg: SweepConfig, run_dir: Path | None = None) -> Prepared:
    """Check models and data; ``run_dir`` given (resume) or chosen from the config's name."""
    force_offline()
    paths = resolve_generators(cfg)
    classifier_path = resolve_classifier_model(cfg.classifier.model)
    few_shot = max(cfg.generator_configs()[name].few_shot for name in paths)
    data = load_dataset(cfg.data, cfg.seed, min_per_label=few_shot)
    first = next(iter(paths.values()))
    return Prepared(cfg, data, first, classifier_path, run_dir or choose_run_dir(cfg), generator_paths=paths)


def run_inputs(p: Prepared) -> dict[str, Any]:
    """Hashes of everything a trial's numbers depend on besides the config (resume checks them)."""
    paths = p.generator_paths or {"default": p.generator_path}
    return {
        "data": dict(p.data.files),
        "generator": {name: sha256_path(path) for name, path in paths.items()},
        "classifier": sha256_path(p.classifier_path),
    }


def _absolute(value: str | None) -> str | None:
    """An existing relative path made absolute, so a run can be resumed from another directory."""
    if value is None:
        return None
    path = Path(value)
    return str(path.resolve()) if not path.is_absolute() and path.exists() else value


def resolved_config(cfg: SweepConfig, run_dir: Path) -> dict[str, Any]:
    """The config as run: the actual run name, storage and input paths made absolute."""
    dump = cfg.model_dump(mode="json")
    dump["name"] = run_dir.name
    dump["storage"] = str(run_dir.parent.resolve())
    dump["data"]["train"] = _absolute(dump["data"]["train"])
    dump["data"]["test"] = _absolute(dump["data"]["test"])
    dump["generator"]["model"] = _absolute(dump["generator"]["model"])
    for entry in (dump.get("generators") or {}).values():
        entry["model"] = _absolute(entry["model"])
    dump["classifier"]["model"] = _absolute(dump["classifier"]["model"])
    return dump


_BACKEND_PACKAGES = {"llama_cpp": "llama_cpp_python", "transformers": "transformers"}


def backend_version(backend: str) -> str | None:
    """The installed version of the library a backend computes with (another version, other texts)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(_BACKEND_PACKAGES[backend])
    except PackageNotFoundError:
        return None


def generator_cache_key(g: GeneratorConfig, generator_path: Path, device: str | None = None) -> str:
    """The synthetic cache's model key: everything besides the prompt that changes a generated text.

    The model's content, the backend and its library version, the device (the same weights give
    other texts for the same seed on a GPU), the prompt style, the output constraint and the
    sampler settings. The prompt itself (templates, shots, lengths, seed) is the cache's prompt key.
    ``device`` is where the generator workers actually run (``gpu`` or ``cpu``, as they report it);
    without it, where the config asks them to (the start-up checks refuse a GPU that is not usable).
    """
    return sha256_json(
        {
            "model": sha256_path(generator_path),
            "backend": g.backend,
            "backend_version": backend_version(g.backend),
            "device": device or ("gpu" if g.gpus > 0 else "cpu"),
            "prompt_style": g.prompt_style,
            "constrain": g.constrain,
            "sampler": {"top_p": g.top_p, "top_k": g.top_k, "min_p": g.min_p, "repeat_penalty": g.repeat_penalty},
        }
    )


def pool_source(
    cfg: SweepConfig,
    data: Dataset,
    generator_path: Path,
    generator: GeneratorConfig | None = None,
    device: str | None = None,
):
    from generators import PoolSource, PromptSpec

    g = generator or cfg.generator
    spec = PromptSpec(
        system_prompt=g.system_prompt,
        user_prompt=g.user_prompt,
        task=g.task,
        few_shot=g.few_shot,
        samples_per_prompt=g.samples_per_prompt,
        shot_max_chars=g.shot_max_chars,
        max_new_tokens=g.max_new_tokens,
        seed=cfg.seed,
        list_prompt=g.list_prompt,
    )
    from ._filters import filter_settings

    shots = {lab: data.train.by_label(i) for i, lab in enumerate(data.labels)}
    return PoolSource(
        model_hash=generator_cache_key(g, generator_path, device),
        spec=spec,
        shots_by_label=shots,
        min_chars=g.min_chars,
        filters=filter_settings(cfg),
    )


def backend_kwargs(cfg: SweepConfig, generator_path: Path, generator: GeneratorConfig | None = None) -> dict[str, Any]:
    """The keyword arguments a generator worker builds its backend with: the backend's own config,
    made from the generator section by the backend itself (``from_generator``)."""
    from dataclasses import asdict

    from generators import backend_config

    g = generator or cfg.generator
    return asdict(backend_config(g.backend).from_generator(g, str(generator_path)))


def classifier_settings(p: Prepared):
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
    )


def trial_settings(p: Prepared, services: dict[str, str], env: dict[str, str], feature_store: str | None = None):
    from trainables import TrialSettings

    cfg = p.cfg
    return TrialSettings(
        classifier=classifier_settings(p),
        seed=cfg.seed,
        repeats=cfg.eval.repeats_for(cfg.classifier.mode),
        cpus=cfg.resources.trial.cpus,
        gpus=cfg.resources.trial.gpus,
        services=dict(services),
        feature_cache=str((cfg.cache_dir / "features.sqlite").resolve()),
        feature_store=feature_store,
        env=env,
        consistency_min_prob=cfg.quality.consistency_min_prob,
        max_synthetic_weight=cfg.search.max_synthetic_weight,
        synthetic_labels=cfg.search.synthetic_labels,
        checkpoint_interval_s=cfg.search.checkpoint_interval_s,
    )


def trial_data(data: Dataset):
    """The train and validation splits as trials see them (the test split stays with the driver)."""
    from trainables import TrialData

    return TrialData(
        labels=data.labels,
        train_texts=data.train.texts,
        train_y=data.train.y.tolist(),
        val_texts=data.validation.texts,
        val_y=data.validation.y.tolist(),
        positive=data.positive,
    )
