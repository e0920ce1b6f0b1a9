"""Notifications: messages to one person, read in the app and, when SMTP is set up, by e-mail.

A notification is written in the transaction of what caused it (a due date firing),
so it exists exactly once. E-mail goes out afterwards from an outbox
(``email_state = 'pending'``): :func:`send_pending_mail` locks a batch of pending rows
(``SKIP LOCKED``), sends, and marks them ``sent``. A worker that dies between
sending and committing sends that message again: e-mail is at-least-once, the
notification itself exactly-once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server import audit, clock
from server.errors import Forbidden, NotFound
from server.notifications import mail
from server.notifications.models import Notification
from server.org.models import Person

log = logging.getLogger("vanguard.notifications")

MAX_MAIL_ATTEMPTS = 5


# -- reading --------------------------------------------------------------------------------


def notification_dict(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "task_id": n.task_id,
        "instance_id": n.instance_id, "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None, "read": n.read_at is not None,
        "email_state": n.email_state,
    }


def list_mine(session: Session, person: Person, *, unread: bool | None, limit: int, offset: int) -> dict[str, Any]:
    stmt = select(Notification).where(Notification.person_id == person.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    unread_count = session.scalar(
        select(func.count(Notification.id)).where(Notification.person_id == person.id,
                                                  Notification.read_at.is_(None))
    ) or 0
    rows = session.scalars(stmt.order_by(Notification.id.desc()).limit(limit).offset(offset)).all()
    return {"items": [notification_dict(n) for n in rows], "total": total, "unread": unread_count,
            "limit": limit, "offset": offset}


def mark_read(session: Session, person: Person, notification_id: int) -> dict[str, Any]:
    n = session.get(Notification, notification_id)
    if n is None:
        raise NotFound(f"notification {notification_id} does not exist")
    if n.person_id != person.id:
        raise Forbidden("this notification is someone else's")
    if n.read_at is None:
        n.read_at = clock.now()
    return notification_dict(n)


def mark_all_read(session: Session, person: Person) -> dict[str, Any]:
    result = session.execute(
        update(Notification)
        .where(Notification.person_id == person.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return {"marked": result.rowcount}  # type: ignore[attr-defined]


# -- e-mail outbox --------------------------------------------------------------------------


def send_pending_mail(session: Session, *, limit: int = 20) -> int:
    """Send up to ``limit`` pending e-mails (rows locked ``SKIP LOCKED``); returns how many went."""
    if not mail.enabled():
        return 0
    now = clock.now()
    rows = session.scalars(
        select(Notification)
        .where(Notification.email_state == "pending",
               (Notification.email_retry_at.is_(None)) | (Notification.email_retry_at <= now))
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for n in rows:
        person = session.get(Person, n.person_id)
        if person is None or not person.email:
            n.email_state = None
            continue
        n.email_attempts += 1
        try:
            mail.send(person.email, n.title, n.body)
        except Exception as exc:  # noqa: BLE001 - SMTP and network errors alike
            log.warning("mail to %s failed (attempt %s): %s", person.email, n.email_attempts, exc)
            n.email_retry_at = now + timedelta(seconds=min(3600, 60 * 2 ** (n.email_attempts - 1)))
            if n.email_attempts >= MAX_MAIL_ATTEMPTS:
                n.email_state = "failed"
                audit.record(session, "mail.failed", actor=None, instance_id=n.instance_id, task_id=n.task_id,
                             notification_id=n.id, to=person.email, error=str(exc)[:500])
            break  # the server is likely down: leave the rest for the next pass
        n.email_state = "sent"
        n.emailed_at = now
        sent += 1
    return sent


def pending_mail_count(session: Session) -> int:
    if not mail.enabled():
        return 0
    return session.scalar(select(func.count(Notification.id)).where(Notification.email_state == "pending")) or 0
