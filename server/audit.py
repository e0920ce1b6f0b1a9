"""The audit trail: one row for every change, written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, ForeignKey, Integer, String, Table, func, insert, select
from sqlalchemy.event import listens_for as event_listener
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server import clock
from server.database import Base, UTCDateTime, utcnow
from server.org.models import Person


class AuditEvent(Base):
    """Who did what and when; never updated, never deleted."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer, index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Person | None] = relationship()


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
    """Add one row to the trail, written with the transaction's other rows when it commits.

    Rows are kept with the session and written as one INSERT just before the commit (or
    before ``history`` or ``has_event`` reads the trail back in the same transaction): a
    step records two to fifty of them, and one statement costs less than fifty. A
    rolled-back transaction writes none. Read the trail through this module only.
    """
    record_all(session, [event(action, actor=actor, instance_id=instance_id, task_id=task_id,
                               definition_id=definition_id, **details)])


_INSERT = insert(cast(Table, AuditEvent.__table__))
_PENDING = "vanguard.audit_pending"


def record_all(session: Session, events: list[dict[str, Any]]) -> None:
    """Add several rows to the trail (see ``record``)."""
    session.info.setdefault(_PENDING, []).extend(events)


def write_pending(session: Session) -> None:
    """Write the rows recorded so far in this transaction (one statement, no flush first:
    an audit row refers only to rows that exist already)."""
    events = session.info.pop(_PENDING, None)
    if events:
        session.connection().execute(_INSERT, events[0] if len(events) == 1 else events)


@event_listener(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@event_listener(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def has_event(session: Session, instance_id: int, action: str) -> bool:
    """Whether the instance's trail holds ``action``, this transaction's own rows included."""
    write_pending(session)
    found = session.scalar(
        select(AuditEvent.id).where(AuditEvent.instance_id == instance_id, AuditEvent.action == action).limit(1)
    )
    return found is not None


def last_task_event(session: Session, task_id: int, action: str) -> datetime | None:
    """When ``action`` was last recorded for the task (e.g. the last reminder), or None."""
    write_pending(session)
    return session.scalar(select(func.max(AuditEvent.at)).where(AuditEvent.task_id == task_id,
                                                                AuditEvent.action == action))


def history(session: Session, instance_id: int) -> list[dict[str, Any]]:
    write_pending(session)
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
