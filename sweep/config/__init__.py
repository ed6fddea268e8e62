"""The sweep's configuration: its schema, loading with overrides, the key listing and the search space."""

from ._keys import config_keys, required_keys
from ._loading import apply_overrides, load_config, resolve_config_paths
from ._schema import (
    CACHE_DIR,
    DEFAULT_GENERATOR,
    FEATURE_CACHE,
    SYNTHETIC_CACHE,
    ClassifierConfig,
    DataConfig,
    EvalConfig,
    GeneratorConfig,
    PrivacyConfig,
    QualityConfig,
    RayConfig,
    ResourcesConfig,
    SearchConfig,
    SweepConfig,
    TrialResources,
)
from ._space import Range, SearchSpace, really_used, search_plan, widened

__all__ = [
    "CACHE_DIR",
    "DEFAULT_GENERATOR",
    "FEATURE_CACHE",
    "SYNTHETIC_CACHE",
    "ClassifierConfig",
    "DataConfig",
    "EvalConfig",
    "GeneratorConfig",
    "PrivacyConfig",
    "QualityConfig",
    "Range",
    "RayConfig",
    "ResourcesConfig",
    "SearchConfig",
    "SearchSpace",
    "SweepConfig",
    "TrialResources",
    "apply_overrides",
    "config_keys",
    "load_config",
    "really_used",
    "required_keys",
    "resolve_config_paths",
    "search_plan",
    "widened",
]
