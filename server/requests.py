"""Per-request database sessions and the one-transaction-per-use-case helper."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy.orm import Session

from server import idempotency
from server.database import db
from server.errors import NotFound, StepFailed
from server.org.models import Person
from server.workflow import incidents
from server.workflow.engine import outside_the_lock

T = TypeVar("T")
log = logging.getLogger(__name__)


def db_session() -> Session:
    """A read session for this request (SQLite: no write lock taken)."""
    if "db_session" not in g:
        g.db_session = db.read_session()
    session: Session = g.db_session
    return session


def write(fn: Callable[[Session], T]) -> T:
    """Run one use case in its own write transaction: commit, or roll back on any error.

    A request with an ``Idempotency-Key`` claims its key in the transaction of its first
    successful use case (``server.idempotency``), so the work is done once however often
    the request is sent.

    A step that failed in a script (``StepFailed``) is rolled back like any error, then
    kept as an incident of its instance in a transaction of its own.

    Scripts are evaluated with no transaction open (``outside_the_lock``): a use case whose
    step needs an evaluation is rolled back, the scripts are evaluated, and ``fn`` runs again
    in a new transaction; so ``fn`` must do nothing but its work in ``session``.
    """
    pending = g.get("idempotency") if has_request_context() and not g.get("idempotency_claimed") else None

    def attempt() -> T:
        with db.transaction() as session:
            if pending is not None:
                idempotency.claim(session, pending)
            return fn(session)

    try:
        result = outside_the_lock(attempt)
    except StepFailed as failed:
        try:
            with db.transaction() as session:
                incidents.record(session, failed)
        except Exception:  # noqa: BLE001 - the caller must see the step's error, not this one
            log.exception("could not keep the incident of instance %s", failed.instance_id)
        raise
    if pending is not None:
        g.idempotency_claimed = True
    return result


def read(fn: Callable[[Session], T]) -> T:
    session = db_session()
    try:
        return fn(session)
    finally:
        session.rollback()


def me(session: Session) -> Person:
    """The logged-in person, in ``session``.

    The login already read the row into this request's read session; a write session takes
    that object over (no second query), else the row is read again.
    """
    person: Person | None = None
    reader: Session | None = g.get("db_session")
    loaded: Person | None = g.pop("login_person", None)
    if loaded is not None and reader is not None and reader is not session and loaded in reader \
            and loaded.id == current_user.person_id and loaded not in reader.dirty:
        reader.expunge(loaded)
        session.add(loaded)
        person = loaded
    if person is None:
        person = session.get(Person, current_user.person_id)
    if person is None:
        raise NotFound("your account no longer exists")
    return person
