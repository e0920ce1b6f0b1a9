"""``python -m server upgrade``, ``repair-candidates`` and ``version``: what an administrator runs.

``upgrade`` on SQLite: refuses while a server holds the file (``serving``), copies it
(``backup``), migrates it in one transaction with foreign keys off and checked
(``alembic/env.py``, ``integrity``), then gives open tasks back candidates a broken earlier
upgrade deleted (``repair``), and prints each step. On PostgreSQL it migrates and repairs;
backing up is the administrator's ``python -m server backup`` (printed as a reminder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from server.database import make_engine
from server.ops.backup import backup_sqlite
from server.ops.integrity import OrphanedRows
from server.ops.repair import RepairReport, repair_candidates
from server.ops.schema import migrate
from server.ops.serving import Served, not_served
from server.ops.version import database_revisions, describe, head_revisions, release, shown, sqlite_file

Out = Callable[[str], None]


class Refused(Exception):
    """The command did nothing; the message says why and what to do."""


@contextmanager
def _session(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def repair(url: str, *, dry_run: bool = False) -> RepairReport:
    """``repair_candidates`` in a transaction of its own; the schema must be at its newest."""
    current, heads = database_revisions(url), head_revisions()
    if current != heads:
        raise Refused(f"the database is at {describe(current)}, not at {describe(heads)}: "
                      "run `python -m server upgrade`, which repairs too")
    with _session(url) as session:
        report = repair_candidates(session, dry_run=dry_run)
        if dry_run:
            session.rollback()
        return report


def upgrade(url: str, out: Out = print) -> RepairReport:
    """Back up, migrate to every head, repair; print what was done. Raises ``Refused``."""
    database = sqlite_file(url)
    out(f"Vanguard {release()}: upgrading {shown(url)}")
    try:
        guard = not_served(database) if database is not None else nullcontext()
        with guard:
            before = database_revisions(url)
            # `make run` upgrades at every start: a copy only when something is going to change.
            changes = before != head_revisions() or repair(url, dry_run=True).restored > 0
            backup: Path | None = None
            if database is None:
                out("  backup: not made by this command on PostgreSQL; take one first: "
                    "`python -m server backup vanguard-before-upgrade.tar.gz` (pg_dump and the uploads)")
            elif before is None:
                out("  backup: none needed (no schema yet)")
            elif not changes:
                out("  backup: none needed (nothing to change)")
            else:
                backup = backup_sqlite(database, before)
                out(f"  backup: {backup}")
            out(f"  schema before: {describe(before)}")
            try:
                migrate(url)
            except Exception as exc:
                out(f"  FAILED: {exc}")
                out("  The migrations run in one transaction: nothing was changed."
                    + (f" The backup {backup} is the database as it was." if backup else ""))
                raise
            after = database_revisions(url)
            applied = sorted((after or set()) - (before or set()))
            out(f"  schema after:  {describe(after)}"
                + (f" (applied {', '.join(applied)})" if applied else " (already up to date)"))
            report = repair(url)
    except Served as exc:
        raise Refused(str(exc)) from None
    for line in report.lines():
        out("  " + line)
    out("done")
    return report


def version(url: str, out: Out = print) -> None:
    current, heads = database_revisions(url), head_revisions()
    out(f"Vanguard {release()}")
    out(f"database: {shown(url)}")
    if current == heads:
        state = "up to date"
    elif current is None:
        state = "run `python -m server upgrade` to create it"
    else:
        state = f"behind: `python -m server upgrade` applies {', '.join(sorted(heads - current))}"
    out(f"migration revision: {describe(current)} ({state})")


def main(command: str, url: str, *, dry_run: bool = False, out: Out = print, err: Out = print) -> int:
    """The three commands for ``server.cli``; the exit status."""
    try:
        if command == "upgrade":
            upgrade(url, out)
        elif command == "repair-candidates":
            for line in repair(url, dry_run=dry_run).lines():
                out(line)
            if dry_run:
                out("dry run: nothing was written")
        else:
            version(url, out)
    except Refused as exc:
        err(f"refused: {exc}")
        return 2
    except OrphanedRows:
        return 1  # upgrade printed what and why
    return 0


def register(app: Flask) -> None:
    """``flask upgrade``: the same as ``python -m server upgrade``."""

    @app.cli.command("upgrade")
    def _upgrade() -> None:
        """Back up (SQLite), bring the database schema to the newest migration and repair."""
        raise SystemExit(main("upgrade", app.config["VANGUARD"].database_url))
