"""Local LLM generators: backends, few-shot prompts, cleaning, the synthetic cache and the Ray service.

Importing this package is cheap: backends (llama.cpp, torch) and Ray load only when used.
"""

from ._cache import SyntheticCache
from ._cleaning import FilterSettings, PoolFilter, RealReference, Reject, clean_text
from ._consistency import LabelConsistency
from ._language import LanguageProfile
from ._pool import PoolBuilder, PoolResult, PoolSource, balanced_counts, split_counts
from ._privacy import Overlap, OverlapIndex, PrivacyLimits
from ._prompts import Augment, PromptSpec, source_id, stable_int, temperature_key
from ._registry import DEFAULT_GENERATOR, GeneratorBackend, backend_config, create_backend, register_backend
from ._service import (
    PoolService,
    attempt_budget,
    device_kind,
    pool_from_service,
    start_pool,
    start_service,
    start_workers,
)
from ._similarity import ShingleIndex, jaccard, shingles
from ._types import Completion, GenerationRequest, GeneratorModel, GeneratorSettings, SweepData

__all__ = [
    "DEFAULT_GENERATOR",
    "Augment",
    "Completion",
    "FilterSettings",
    "GenerationRequest",
    "GeneratorBackend",
    "GeneratorModel",
    "GeneratorSettings",
    "LabelConsistency",
    "LanguageProfile",
    "Overlap",
    "OverlapIndex",
    "PoolBuilder",
    "PoolFilter",
    "PoolResult",
    "PoolService",
    "PoolSource",
    "PrivacyLimits",
    "PromptSpec",
    "RealReference",
    "Reject",
    "ShingleIndex",
    "SweepData",
    "SyntheticCache",
    "attempt_budget",
    "backend_config",
    "device_kind",
    "balanced_counts",
    "clean_text",
    "create_backend",
    "jaccard",
    "pool_from_service",
    "register_backend",
    "shingles",
    "source_id",
    "split_counts",
    "start_pool",
    "start_service",
    "start_workers",
    "stable_int",
    "temperature_key",
]
