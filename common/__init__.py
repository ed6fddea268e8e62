"""The bottom layer every synthsweep package may import: content hashes, atomic writes, the
user-facing error types and how a signal ends a command, a str Enum base, the offline switches,
the service actors' mark and how a label set is written. It imports none of the other packages.
"""

from ._atomic import (
    atomic_dir,
    atomic_file,
    current_umask,
    follow_umask,
    write_bytes_atomic,
    write_json_atomic,
    write_text_atomic,
)
from ._bars import OWNER_ENV as BAR_OWNER_ENV
from ._bars import bar_owner_env, erase_orphan_bars, progress_bar
from ._bundled import (
    EXAMPLES_SUFFIXES,
    BundledModel,
    bundled_problem,
    check_gguf,
    check_hf_dir,
    examples_file,
    generator_names,
    local_classifier_path,
    model_cache_root,
    node_generator_kwargs,
    resolve_classifier_model,
    resolve_generator_model,
)
from ._enums import StrEnum
from ._errors import SHOWN_CHARS, SweepFailed, SweepInterrupted, UserError, shown
from ._hashing import sha256_file, sha256_json, sha256_path, sha256_text
from ._labelsets import label_set_name, split_label_set
from ._markers import DEFAULT_MARKERS, marker_problem
from ._offline import OFFLINE_ENV, force_offline
from ._service_actors import SERVICE_ACTOR_VAR, service_runtime_env
from ._signals import exit_code, interrupts_raise, note_signal, on_sigterm, received_signal

__all__ = [
    "DEFAULT_MARKERS",
    "marker_problem",
    "BundledModel",
    "bundled_problem",
    "check_gguf",
    "check_hf_dir",
    "generator_names",
    "local_classifier_path",
    "model_cache_root",
    "node_generator_kwargs",
    "resolve_classifier_model",
    "resolve_generator_model",
    "SHOWN_CHARS",
    "shown",
    "examples_file",
    "EXAMPLES_SUFFIXES",
    "BAR_OWNER_ENV",
    "bar_owner_env",
    "erase_orphan_bars",
    "label_set_name",
    "split_label_set",
    "progress_bar",
    "OFFLINE_ENV",
    "SERVICE_ACTOR_VAR",
    "StrEnum",
    "SweepFailed",
    "SweepInterrupted",
    "UserError",
    "atomic_dir",
    "atomic_file",
    "current_umask",
    "exit_code",
    "interrupts_raise",
    "note_signal",
    "on_sigterm",
    "received_signal",
    "follow_umask",
    "force_offline",
    "sha256_file",
    "sha256_json",
    "sha256_path",
    "service_runtime_env",
    "sha256_text",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]
