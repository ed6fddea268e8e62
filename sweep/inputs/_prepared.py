"""A sweep's checked inputs: models and data, checked before anything starts.

``prepare`` fails fast and writes nothing on bad input. ``sweep_dataset`` is the one rule by
which a run's data is rebuilt, by the sweep and afterwards by report, export and the preview, so
every one of them sees the same splits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import (
    UserError,
    examples_file,
    force_offline,
    resolve_classifier_model,
    resolve_generator_model,
    sha256_path,
)
from generators import GeneratorBackend

from ..config import GeneratorConfig, SweepConfig
from ..rundir import RunStatus, read_state
from ._data import Dataset, load_dataset

if TYPE_CHECKING:
    from generators import SweepData


@dataclass(frozen=True)
class Prepared:
    """Everything checked before Ray starts, so bad input fails fast and writes nothing."""

    cfg: SweepConfig
    data: Dataset
    generator_paths: dict[str, Path]
    """Every searched generator's checked model path by generator name; the first serves the baseline."""
    classifier_path: Path
    run_dir: Path

    @property
    def generators(self) -> dict[str, GeneratorConfig]:
        """The searched generators by name, in order."""
        configs = self.cfg.generator_configs()
        return {name: configs[name] for name in self.cfg.searched_generators()}


def generator_key(cfg: SweepConfig, name: str) -> str:
    """The config key of a generator's section, for messages: `generator` or `generators.<name>`."""
    return f"generators.{name}" if cfg.generators else "generator"


def generator_path(cfg: SweepConfig, name: str) -> Path:
    """The checked model path of the generator ``name`` (bad input fails here, before Ray starts)."""
    g = cfg.generator_configs()[name]
    if g.is_file:
        return examples_file(g.model, f"{generator_key(cfg, name)}.model")
    return resolve_generator_model(
        g.model, key=f"{generator_key(cfg, name)}.model", allow_dir=g.backend == GeneratorBackend.TRANSFORMERS
    )


def sweep_dataset(cfg: SweepConfig) -> Dataset:
    """The run's data: every class keeps as many training examples as the hungriest searched generator's
    ``few_shot`` (a file shows no shots), so the splits do not depend on which generator a caller is looking at."""
    configs = cfg.generator_configs()
    few_shot = max(1 if configs[n].is_file else configs[n].few_shot for n in cfg.searched_generators())
    return load_dataset(cfg.data, cfg.seed, min_per_label=few_shot)


def sweep_data(cfg: SweepConfig, data: Dataset) -> SweepData:
    """What a backend may read about the data: its columns and classes, and the sweep's seed."""
    from generators import SweepData

    return SweepData(cfg.data.text_column, cfg.data.label_column, tuple(data.labels), cfg.seed, data.separator)


def check_examples_files(cfg: SweepConfig, data: Dataset, paths: dict[str, Path]) -> None:
    """Every file generator's rows are read once here, so a bad file fails before Ray starts."""
    from generators.file import ExamplesFileError, read_examples

    configs = cfg.generator_configs()
    for name, path in paths.items():
        if configs[name].is_file:
            try:
                read_examples(path, cfg.data.text_column, cfg.data.label_column, data.labels, data.separator)
            except ExamplesFileError as e:
                raise UserError(f"{generator_key(cfg, name)}.model: {e}") from None


def prepare(cfg: SweepConfig, run_dir: Path | None = None) -> Prepared:
    """Check models and data; ``run_dir`` given (resume) or chosen from the config's name."""
    force_offline()
    paths = {name: generator_path(cfg, name) for name in cfg.searched_generators()}
    classifier_path = resolve_classifier_model(cfg.classifier.model)
    if cfg.data.markers:  # relation: the markers are tokens of the classifier
        from trainables import marked_classifier

        classifier_path = marked_classifier(classifier_path, cfg.data.markers)
    data = sweep_dataset(cfg)
    check_examples_files(cfg, data, paths)
    return Prepared(cfg, data, paths, classifier_path, run_dir or choose_run_dir(cfg))


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
        if state.status == RunStatus.FAILED:
            raise UserError(
                f"{candidate} holds a sweep in which no trial finished; retry it with: "
                f"synthsweep resume {candidate} --restart-errored (or start afresh with --set name=...)"
            )
        if state.status != RunStatus.FINISHED:
            raise UserError(
                f"{candidate} holds an unfinished sweep; continue it with: synthsweep resume {candidate} "
                f"(or start afresh under another name with --set name=...)"
            )
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def run_inputs(p: Prepared) -> dict[str, Any]:
    """Hashes of everything a trial's numbers depend on besides the config (resume checks them)."""
    return {
        "data": dict(p.data.files),
        "generator": {name: sha256_path(path) for name, path in p.generator_paths.items()},
        "classifier": sha256_path(p.classifier_path),
    }


def check_inputs(p: Prepared, recorded: dict[str, Any]) -> None:
    """Trials of one sweep must see the same data and models: refuse to resume if they changed."""
    if not recorded:
        return
    now = run_inputs(p)
    # Compared by content: the run recorded paths as typed, the resolved config holds them absolute.
    if sorted(recorded.get("data", {}).values()) != sorted(now["data"].values()):
        files = ", ".join(now["data"])
        raise UserError(f"data files changed since the sweep started ({files}); resume needs the same data")
    for key in ("generator", "classifier"):
        if recorded.get(key) and now[key] != recorded[key]:
            raise UserError(f"{key}.model changed since the sweep started; resume needs the same model")


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
