"""The server's notion of now, replaceable in tests (no sleeping for days)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    return _source() if _source is not None else datetime.now(UTC)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Use ``source`` for now (``None`` restores the wall clock)."""
    global _source
    _source = source
