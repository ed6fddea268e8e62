"""Ctrl-C (SIGINT) and SIGTERM end every command the same way: one line, exit 128 + the signal.

Python turns SIGINT into ``KeyboardInterrupt``; ``interrupts_raise`` makes SIGTERM do the same
(a pre-empted job, ``kill``) and remembers which signal arrived, so the exit code says which:
130 for SIGINT, 143 for SIGTERM, as shells report a process killed by it.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_received: int | None = None


def note_signal(signum: int) -> None:
    """Remember that ``signum`` stopped the command (for code that handles a signal itself)."""
    global _received
    _received = signum


def received_signal() -> int:
    """The signal that stopped the command: SIGINT unless another one was noted."""
    return _received or signal.SIGINT


def exit_code() -> int:
    return 128 + received_signal()


def _terminate(signum: int, frame: Any) -> None:
    note_signal(signum)
    raise KeyboardInterrupt


@contextmanager
def on_sigterm(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """While inside, SIGTERM calls ``handler(signum, frame)`` (main thread only; elsewhere a no-op)."""
    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """While inside, SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C (main thread only)."""
    global _received
    _received = None
    with on_sigterm(_terminate):
        yield
