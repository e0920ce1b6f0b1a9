"""A copy of an SQLite database taken before it is migrated."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path


def backup_sqlite(database: Path, revisions: set[str], now: datetime | None = None) -> Path:
    """Copy ``database`` with SQLite's online backup API to ``<db>.backup-<revision>-<time>.sqlite``.

    The backup API copies a consistent state, the write-ahead log included, into a file
    that opens on its own. Several heads are joined with ``+`` in the name.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = "+".join(sorted(revisions)) or "none"
    target = database.with_name(f"{database.name}.backup-{label}-{stamp}.sqlite")
    n = 1
    while target.exists():
        n += 1
        target = database.with_name(f"{database.name}.backup-{label}-{stamp}-{n}.sqlite")
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target
