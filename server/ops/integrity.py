"""Rows that point at rows that are gone.

Alembic's batch mode changes an SQLite table by copying it, dropping the old one and
renaming the copy. With foreign keys enforced, that drop deletes every row that refers to
the table with ``ON DELETE CASCADE`` (issue #21: migration 0007 rebuilt ``task`` and took
every ``task_candidate`` row with it) or fails on the others. So ``alembic/env.py`` turns
enforcement off for a migration run on SQLite (:func:`foreign_keys_off`) and checks the
result before it commits (:func:`check_no_new_orphans`): a run that would leave rows
pointing at nothing is rolled back with the tables and rows named, instead of deleting them.

:func:`orphans` answers the same question on any database, from the declared foreign keys
(the upgrade tests use it on PostgreSQL too).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

SHOWN = 5
"""How many row ids of each kind an error names."""


@dataclass(frozen=True)
class Orphan:
    """A row of ``table`` whose foreign key names a row of ``parent`` that does not exist."""

    table: str
    rowid: Any
    parent: str


class OrphanedRows(RuntimeError):
    """A migration run would leave rows pointing at nothing; it was rolled back."""

    def __init__(self, found: list[Orphan], counts: Counter[tuple[str, str]]) -> None:
        self.found = found
        parts = []
        for (table, parent), count in sorted(counts.items()):
            ids = [str(o.rowid) for o in found if (o.table, o.parent) == (table, parent)][:SHOWN]
            more = ", …" if count > SHOWN else ""
            parts.append(f"{table} → {parent}: {count} rows (rowid {', '.join(ids)}{more})")
        super().__init__(
            "the migrations would leave rows that refer to rows that no longer exist: " + "; ".join(parts)
            + ". Nothing was changed: the upgrade was rolled back."
        )


def foreign_keys_off(connection: Connection) -> None:
    """``PRAGMA foreign_keys=OFF`` for this SQLite connection, as batch mode expects.

    SQLite ignores the pragma inside a transaction, so it is run on the driver's connection
    before anything begins one, and read back.
    """
    if connection.in_transaction():
        raise RuntimeError("foreign keys can only be turned off before the migration's transaction begins")
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute("PRAGMA foreign_keys=OFF")
    if dbapi.execute("PRAGMA foreign_keys").fetchone()[0] != 0:
        raise RuntimeError("SQLite did not turn foreign keys off for the migration")


def sqlite_orphans(connection: Connection) -> list[Orphan]:
    """What ``PRAGMA foreign_key_check`` finds (it works whether enforcement is on or off)."""
    rows = connection.execute(text("PRAGMA foreign_key_check")).all()
    return [Orphan(table=str(r[0]), rowid=r[1], parent=str(r[2])) for r in rows]


def _counts(found: list[Orphan]) -> Counter[tuple[str, str]]:
    return Counter((o.table, o.parent) for o in found)


def check_no_new_orphans(connection: Connection, before: list[Orphan]) -> None:
    """Raise ``OrphanedRows`` if there are more orphans of any kind than ``before`` the run.

    Counted per (table, parent), not per row: a rebuilt table may renumber the rowids of
    orphans that were already there, and those are not the migration's doing.
    """
    after = sqlite_orphans(connection)
    grown = {key: n for key, n in _counts(after).items() if n > _counts(before)[key]}
    if grown:
        raise OrphanedRows([o for o in after if (o.table, o.parent) in grown], Counter(grown))


def orphans(connection: Connection) -> list[Orphan]:
    """Rows whose declared foreign key names no existing row, on any database.

    One ``NOT EXISTS`` query per foreign key; the row is named by its first primary-key
    column (or by its foreign key when the table has none).
    """
    inspector = inspect(connection)
    preparer = connection.dialect.identifier_preparer
    found: list[Orphan] = []
    for table in sorted(inspector.get_table_names()):
        pk = inspector.get_pk_constraint(table).get("constrained_columns") or []
        for fk in inspector.get_foreign_keys(table):
            columns, parent, referred = fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]
            child_t, parent_t = preparer.quote(table), preparer.quote(parent)
            named = preparer.quote((pk or columns)[0])
            present = " AND ".join(f"c.{preparer.quote(c)} IS NOT NULL" for c in columns)
            match = " AND ".join(f"p.{preparer.quote(r)} = c.{preparer.quote(c)}"
                                 for c, r in zip(columns, referred, strict=True))
            sql = (f"SELECT c.{named} FROM {child_t} c WHERE {present} "
                   f"AND NOT EXISTS (SELECT 1 FROM {parent_t} p WHERE {match})")
            found += [Orphan(table=table, rowid=r[0], parent=parent) for r in connection.execute(text(sql))]
    return found
