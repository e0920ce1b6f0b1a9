"""催办: a person reminds the current holder of a task, at most once per ``URGE_INTERVAL``.

Who may: whoever started the instance (his request waits there), and whoever oversees the
task's unit (its secretary or deputy, an org_admin above: ``server.access.oversees``). The
reminder is a notification to the assignee, or to everyone who may claim an unclaimed task
(``inbox.reminders.recipients``), and a ``task.reminded`` row in the audit trail, which
also holds the rate limit: a second reminder within the interval is refused, naming the time
of the first and when the next may be sent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from inbox.actions import get_row
from inbox.models import OPEN, Task
from inbox.reminders import recipients
from server import audit, clock
from server.access import oversees
from server.errors import Conflict, Forbidden
from server.notifications import mail
from server.notifications.models import Notification
from server.org.models import Person

URGE_INTERVAL = timedelta(hours=4)

_TEXTS = {
    "zh": ("催办：{name}", "{who}催办“{instance}”中的任务“{name}”，请尽快处理：{link}"),
    "en": ("Reminder: {name}", "{who} asks you to deal with the task \"{name}\" of \"{instance}\": {link}"),
}


def may_urge(session: Session, person: Person, task: Task) -> bool:
    return task.state == OPEN and (task.instance.started_by_id == person.id
                                   or oversees(session, person.id, task.org_unit))


def urge(session: Session, person: Person, task_id: int) -> dict[str, Any]:
    task = get_row(session, task_id, for_update=True)
    if task.state != OPEN:
        raise Conflict(f"task {task_id} is no longer open")
    if not may_urge(session, person, task):
        raise Forbidden("only who started the process or an overseer of its unit may send a reminder")
    now = clock.now()
    last = audit.last_task_event(session, task.id, "task.reminded")
    if last is not None and now - last < URGE_INTERVAL:
        raise Conflict(f"a reminder was sent at {last.isoformat()}; the next may be sent after "
                       f"{(last + URGE_INTERVAL).isoformat()}",
                       [{"field": "task_id", "message": "reminded recently",
                         "next_at": (last + URGE_INTERVAL).isoformat()}])
    people = recipients(session, task)
    for holder in people:
        lang = "en" if (holder.locale or "").startswith("en") else "zh"
        title, body = _TEXTS[lang]
        values = {"name": task.name, "instance": task.instance.title or "", "who": person.display_name,
                  "link": f"/tasks/{task.id}"}
        session.add(Notification(
            person_id=holder.id, kind="urge", task_id=task.id, instance_id=task.instance_id,
            title=title.format(**values)[:300], body=body.format(**values), created_at=now,
            email_state="pending" if mail.enabled() and holder.email else None, email_attempts=0,
        ))
    names = [p.display_name for p in people]
    audit.record(session, "task.reminded", actor=person, instance_id=task.instance_id, task_id=task.id,
                 to_name="、".join(names)[:300])
    return {"task_id": task.id, "reminded": names, "next_at": (now + URGE_INTERVAL).isoformat()}
