"""Copies of an SQLite database: the one taken before it is migrated, and the online copy itself."""

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
    copy_sqlite(database, target)
    return target


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the database ``source`` into ``target`` (created or overwritten) with the online backup API.

    All pages in one step, under one read transaction: a consistent state even while a server
    writes (WAL mode: writers go on; the copy sees the last commit before it started).
    """
    reader = sqlite3.connect(source, timeout=30)
    writer = sqlite3.connect(target, timeout=30)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()
