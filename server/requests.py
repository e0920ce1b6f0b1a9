"""Per-request database sessions and the one-transaction-per-use-case helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import g
from flask_login import current_user
from sqlalchemy.orm import Session

from server import db
from server.errors import NotFound
from server.models import Person

T = TypeVar("T")


def db_session() -> Session:
    """A read session for this request (SQLite: no write lock taken)."""
    if "db_session" not in g:
        g.db_session = db.read_session()
    session: Session = g.db_session
    return session


def write(fn: Callable[[Session], T]) -> T:
    """Run one use case in its own write transaction: commit, or roll back on any error."""
    with db.transaction() as session:
        return fn(session)


def read(fn: Callable[[Session], T]) -> T:
    session = db_session()
    try:
        return fn(session)
    finally:
        session.rollback()


def me(session: Session) -> Person:
    person = session.get(Person, current_user.person_id)
    if person is None:
        raise NotFound("your account no longer exists")
    return person
