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
    FILE = "file"
    """Examples read from a CSV, TSV or JSONL file instead of generated (``generators.file``)."""


# backend -> "module:factory" and "module:ConfigClass"; imported lazily so `import generators` never loads llama.cpp.
_FACTORIES: dict[GeneratorBackend, str] = {}
_CONFIGS: dict[GeneratorBackend, str] = {}


def register_backend(backend: GeneratorBackend | str, factory: str, config: str | None = None) -> None:
    """Register ``factory`` ("package.module:callable") and its ``config`` class for ``backend``; refuse duplicates."""
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
    if config is not None:
        _CONFIGS[key] = config


def _load(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def backend_config(backend: GeneratorBackend | str) -> Any:
    """The backend's config class (it builds itself from generator settings: ``from_generator``)."""
    return _load(_CONFIGS[GeneratorBackend(backend)])


def create_backend(backend: GeneratorBackend | str, **kwargs: Any) -> GeneratorModel:
    """Import the backend's factory and build a loaded model."""
    factory: Callable[..., GeneratorModel] = _load(_FACTORIES[GeneratorBackend(backend)])
    return factory(**kwargs)


register_backend(
    GeneratorBackend.LLAMA_CPP,
    "generators.llama_cpp.model:LlamaCppGenerator",
    "generators.llama_cpp.config:LlamaCppConfig",
)
register_backend(
    GeneratorBackend.TRANSFORMERS,
    "generators.transformers.model:TransformersGenerator",
    "generators.transformers.config:TransformersConfig",
)
register_backend(GeneratorBackend.FILE, "generators.file.model:FileGenerator", "generators.file.config:FileConfig")
