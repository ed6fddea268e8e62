"""Backend names (a str Enum) and the one checked place that maps them to implementations."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from typing import Any

from ._types import GeneratorModel

DEFAULT_GENERATOR = "default"
"""A sweep's generator name when it has only the `generator` section (no `generators`)."""


class GeneratorBackend(str, enum.Enum):
    LLAMA_CPP = "llama_cpp"
    TRANSFORMERS = "transformers"


# backend -> "module:factory"; imported lazily so `import generators` never loads llama.cpp.
_FACTORIES: dict[GeneratorBackend, str] = {}


def register_backend(backend: GeneratorBackend | str, factory: str) -> None:
    """Register ``factory`` ("package.module:callable") for ``backend``; refuse duplicates."""
    try:
        key = GeneratorBackend(backend)
    except ValueError:
        valid = ", ".join(b.value for b in GeneratorBackend)
        raise ValueError(f"unknown generator backend {backend!r}; valid: {valid}") from None
    if key in _FACTORIES:
        raise ValueError(f"generator backend {key.value!r} is already registered")
    if ":" not in factory:
        raise ValueError(f"factory must be 'module:callable', got {factory!r}")
    _FACTORIES[key] = factory


def create_backend(backend: GeneratorBackend | str, **kwargs: Any) -> GeneratorModel:
    """Import the backend's factory and build a loaded model."""
    key = GeneratorBackend(backend)
    module, _, attr = _FACTORIES[key].partition(":")
    factory: Callable[..., GeneratorModel] = getattr(importlib.import_module(module), attr)
    return factory(**kwargs)


register_backend(GeneratorBackend.LLAMA_CPP, "generators.llama_cpp.model:LlamaCppGenerator")
register_backend(GeneratorBackend.TRANSFORMERS, "generators.transformers.model:TransformersGenerator")
