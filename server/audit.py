"""The audit trail: one row for every change, written in the change's own transaction."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from server import clock
from server.models import AuditEvent, Person


def event(
    action: str,
    *,
    actor: Person | None,
    instance_id: int | None = None,
    task_id: int | None = None,
    definition_id: int | None = None,
    **details: Any,
) -> dict[str, Any]:
    """One audit row, to be written by ``record_all``."""
    return {
        "at": clock.now(),
        "action": action,
        "actor_id": actor.id if actor else None,
        "instance_id": instance_id,
        "task_id": task_id,
        "definition_id": definition_id,
        "details": details,
    }


def record(
    session: Session,
    action: str,
    *,
    actor: Person | None,
    instance_id: int | None = None,
    task_id: int | None = None,
    definition_id: int | None = None,
    **details: Any,
) -> None:
    """Write one audit row now, in the session's transaction.

    A plain INSERT, not an ORM object: the trail is written on every step and never
    changed, and the row is visible at once to what the transaction reads next.
    """
    record_all(session, [event(action, actor=actor, instance_id=instance_id, task_id=task_id,
                               definition_id=definition_id, **details)])


_INSERT = insert(cast(Table, AuditEvent.__table__))


def record_all(session: Session, events: list[dict[str, Any]]) -> None:
    """Write several audit rows with one statement, on the session's connection: nothing
    pending is flushed first (an audit row refers only to rows that exist already)."""
    if events:
        session.connection().execute(_INSERT, events[0] if len(events) == 1 else events)


def history(session: Session, instance_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AuditEvent, Person.username, Person.display_name)
        .outerjoin(Person, Person.id == AuditEvent.actor_id)
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.id)
    ).all()
    return [
        {
            "at": event.at.isoformat(),
            "action": event.action,
            "actor": username,
            "actor_name": display_name,
            "task_id": event.task_id,
            "details": event.details,
        }
        for event, username, display_name in rows
    ]
