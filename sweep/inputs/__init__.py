"""A sweep's inputs: the data and its splits, the checked models, the settings generators and trials
receive, and the ``generate`` preview. Starts no Ray."""

from ._data import Dataset, Split, load_dataset, normalized, read_table
from ._labelsets import iterative_cut, unit_rows
from ._prepared import (
    Prepared,
    check_inputs,
    choose_run_dir,
    generator_key,
    generator_path,
    prepare,
    resolved_config,
    run_inputs,
    sweep_data,
    sweep_dataset,
)
from ._preview import generate_examples, shots_used
from ._settings import (
    backend_kwargs,
    backend_version,
    classifier_settings,
    filter_settings,
    generator_cache_key,
    marker_note,
    paraphrase_spec,
    pool_source,
    privacy_limits,
    provenance,
    trial_data,
    trial_settings,
)

__all__ = [
    "Dataset",
    "Prepared",
    "Split",
    "backend_kwargs",
    "backend_version",
    "check_inputs",
    "choose_run_dir",
    "classifier_settings",
    "filter_settings",
    "marker_note",
    "generate_examples",
    "generator_cache_key",
    "generator_key",
    "generator_path",
    "iterative_cut",
    "unit_rows",
    "load_dataset",
    "normalized",
    "paraphrase_spec",
    "pool_source",
    "prepare",
    "privacy_limits",
    "provenance",
    "read_table",
    "resolved_config",
    "run_inputs",
    "shots_used",
    "sweep_data",
    "sweep_dataset",
    "trial_data",
    "trial_settings",
]
