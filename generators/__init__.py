"""Local LLM generators: backends, few-shot prompts, cleaning, the synthetic cache and the Ray service.

Importing this package is cheap: backends (llama.cpp, torch) and Ray load only when used.
"""

from ._cache import SyntheticCache
from ._cleaning import PoolFilter, Reject, clean_text
from ._pool import PoolBuilder, PoolResult, PoolSource, balanced_counts
from ._prompts import PromptSpec, stable_int, temperature_key
from ._registry import GeneratorBackend, create_backend, register_backend
from ._types import Completion, GenerationRequest, GeneratorModel

__all__ = [
    "Completion",
    "GenerationRequest",
    "GeneratorBackend",
    "GeneratorModel",
    "PoolBuilder",
    "PoolFilter",
    "PoolResult",
    "PoolSource",
    "PromptSpec",
    "Reject",
    "SyntheticCache",
    "balanced_counts",
    "clean_text",
    "create_backend",
    "register_backend",
    "stable_int",
    "temperature_key",
]
