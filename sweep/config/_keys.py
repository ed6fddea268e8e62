"""Every config key with its meaning and default, read off the schema (``synthsweep keys``)."""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel

from ._schema import SweepConfig


def config_keys(model: type[BaseModel] = SweepConfig, prefix: str = "") -> list[tuple[str, str, Any]]:
    """Every leaf key as (dotted name, description, default), in declaration order."""
    out: list[tuple[str, str, Any]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(config_keys(ann, f"{prefix}{name}."))
        else:
            default = None if field.is_required() else field.get_default(call_default_factory=True)
            if isinstance(default, enum.Enum):  # a str enum (the backend) shows as its value
                default = default.value
            out.append((f"{prefix}{name}", (field.description or "").strip(), default))
    return out


def required_keys(model: type[BaseModel] = SweepConfig, prefix: str = "") -> set[str]:
    """The dotted keys a config must set (no default)."""
    out: set[str] = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and field.is_required():
            out |= required_keys(ann, f"{prefix}{name}.")
        elif field.is_required():
            out.add(f"{prefix}{name}")
    return out
