"""The audit trail: one row for every change, written in the change's own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEvent, Person


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
    session.add(
        AuditEvent(
            action=action,
            actor_id=actor.id if actor else None,
            instance_id=instance_id,
            task_id=task_id,
            definition_id=definition_id,
            details=details,
        )
    )


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
