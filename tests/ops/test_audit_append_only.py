"""The audit trail is append-only for everyone (issue 14): the database itself refuses to
change or delete a row, whoever asks — the application, an administrator at the SQL prompt."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from server.database import db


def _one_row(as_user) -> None:
    as_user("m1")  # a login writes the first row of the trail
    with db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM audit_event")).scalar() >= 1


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'nothing.happened'",
    "UPDATE audit_event SET details = '{}' WHERE id = (SELECT min(id) FROM audit_event)",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE id = (SELECT max(id) FROM audit_event)",
])
def test_no_one_changes_or_deletes_an_audit_row(as_user, database_url: str, statement: str) -> None:
    _one_row(as_user)
    engine = create_engine(database_url)  # a connection of its own, as a person at the SQL prompt
    try:
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_event WHERE action = 'nothing.happened'"))\
                .scalar() == 0
            assert connection.execute(text("SELECT count(*) FROM audit_event")).scalar() >= 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(as_user, pg_url: str, database_url: str) -> None:
    if database_url != pg_url:
        pytest.skip("PostgreSQL only")
    _one_row(as_user)
    engine = create_engine(pg_url)
    try:
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_event CASCADE"))
    finally:
        engine.dispose()


def test_rows_are_still_added(as_user, database_url: str) -> None:
    _one_row(as_user)
    before = _count(database_url)
    as_user("m2")
    assert _count(database_url) == before + 1


def _count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM audit_event")).scalar() or 0)
    finally:
        engine.dispose()
