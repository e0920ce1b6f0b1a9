"""The server's notion of now, replaceable in tests (no sleeping for days) and shiftable for training.

``now()`` is the source (the wall clock, or a test's fake clock) plus an offset: the demo
and training clock (``server.ops.clock_control``, ``VANGUARD_CLOCK_CONTROL=1``) installs a
reader of the offset that every process shares through the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_source: Callable[[], datetime] | None = None
_offset: Callable[[], timedelta] | None = None


def now() -> datetime:
    current = _source() if _source is not None else datetime.now(UTC)
    return current + _offset() if _offset is not None else current


def set_source(source: Callable[[], datetime] | None) -> None:
    """Use ``source`` for now (``None`` restores the wall clock)."""
    global _source
    _source = source


def set_offset(offset: Callable[[], timedelta] | None) -> None:
    """Add what ``offset`` says to every reading (``None``: no offset)."""
    global _offset
    _offset = offset
