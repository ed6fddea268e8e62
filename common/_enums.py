"""A str Enum that prints as its value on every Python synthsweep supports.

Python 3.11 changed ``format()`` of a ``(str, Enum)`` member to ``Class.MEMBER``; run states,
trial states and conclusions appear in tables, messages and JSON as their values.
"""

from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    """Members compare equal to, hash like and print as their string values."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
