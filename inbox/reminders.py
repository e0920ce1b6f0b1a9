"""Telling people about their tasks: when one falls due, and again while it stays open.

A task with a due date has a ``task_due`` job (``server.workflow.jobs``); firing it
writes one notification per person who should act (the assignee, or every holder of a
candidate role), and, when the task asks for it (``remind_every``), a ``reminder`` job
for the next reminder.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server import audit, clock
from server.calendar.due import DueExpressionError, resolve_due
from server.calendar.store import calendar_for
from server.notifications import mail
from server.notifications.models import Notification
from server.org.models import Person
from server.org.tree import holders
from server.workflow.engine import element_properties
from server.workflow.hooks import Outcome
from server.workflow.jobs import REMINDER, TASK_DUE, Busy, mark_fired
from server.workflow.models import JOB_CANCELLED, JOB_FIRED, JOB_HELD, JOB_WAITING, TimerJob
from server.workflow.runs import spec_key

log = logging.getLogger("vanguard.reminders")

_TZ = ZoneInfo("Asia/Shanghai")

_TEXTS = {
    "zh": {
        "overdue": ("任务已逾期：{name}",
                    "“{instance}”中的任务“{name}”应于 {due} 前完成，现已逾期。\n请尽快处理：{link}"),
        "reminder": ("催办：{name}",
                     "“{instance}”中的任务“{name}”已于 {due} 到期，仍未完成。\n请尽快处理：{link}"),
    },
    "en": {
        "overdue": ("Overdue: {name}",
                    "The task \"{name}\" of \"{instance}\" was due by {due} and is overdue.\n"
                    "Please deal with it: {link}"),
        "reminder": ("Reminder: {name}",
                     "The task \"{name}\" of \"{instance}\" was due by {due} and is still open.\n"
                     "Please deal with it: {link}"),
    },
}


def set_timezone(name: str) -> None:
    global _TZ
    _TZ = ZoneInfo(name)


def recipients(session: Session, task: Task) -> list[Person]:
    """The assignee; for an unclaimed task, everyone who holds one of its candidate roles."""
    if task.assignee_id is not None:
        person = session.get(Person, task.assignee_id)
        return [person] if person is not None and person.active else []
    people: dict[int, Person] = {}
    for candidate in task.candidates:
        for person in holders(session, candidate.org_unit_id, candidate.role):
            if person.active:
                people.setdefault(person.id, person)
    return sorted(people.values(), key=lambda p: p.username)


def _text(person: Person, kind: str, task: Task) -> tuple[str, str]:
    lang = "en" if (person.locale or "").startswith("en") else "zh"
    title, body = _TEXTS[lang].get(kind, _TEXTS[lang]["overdue"])
    due = task.due_at.astimezone(_TZ).strftime("%Y-%m-%d %H:%M") if task.due_at else "-"
    values = {"name": task.name, "instance": task.instance.title if task.instance else "",
              "due": due, "link": f"/tasks/{task.id}"}
    return title.format(**values)[:300], body.format(**values)


def notify_task(session: Session, task: Task, *, kind: str, job: TimerJob | None = None) -> list[str]:
    """Write one notification per recipient of ``task``; returns their usernames."""
    now = clock.now()
    sent_to = []
    for person in recipients(session, task):
        title, body = _text(person, kind, task)
        session.add(Notification(
            person_id=person.id, kind=kind, task_id=task.id, instance_id=task.instance_id,
            job_id=job.id if job is not None else None, title=title, body=body, created_at=now,
            email_state="pending" if mail.enabled() and person.email else None, email_attempts=0,
        ))
        sent_to.append(person.username)
    session.flush()
    return sent_to


def fire_task_due(session: Session, job: TimerJob, now: datetime, worker: str) -> Outcome:
    assert job.task_id is not None
    task = session.scalar(select(Task).where(Task.id == job.task_id).with_for_update(skip_locked=True))
    if task is None:
        if session.get(Task, job.task_id) is not None:
            raise Busy(f"task {job.task_id} is busy")
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, "task gone")
    if task.state != OPEN:
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, f"task {task.state}")
    if task.instance.state == "suspended":
        job.state = JOB_HELD
        return Outcome(JOB_HELD, "instance suspended")
    mark_fired(job, now, worker)
    kind = "overdue" if job.kind == TASK_DUE else "reminder"
    people = notify_task(session, task, kind=kind, job=job)
    audit.record(
        session, "task.overdue" if job.kind == TASK_DUE else "task.reminded", actor=None,
        instance_id=task.instance_id, task_id=task.id, element_id=task.element_id, job_id=job.id,
        due_at=task.due_at.isoformat() if task.due_at else None, notified=people,
    )
    _schedule_next_reminder(session, task, job, now)
    return Outcome(JOB_FIRED, f"{len(people)} notified")


def _schedule_next_reminder(session: Session, task: Task, job: TimerJob, now: datetime) -> None:
    """``remind_every`` on the user task (e.g. ``1 working day``): remind again while open."""
    definition = task.instance.definition
    props = element_properties(spec_key(definition), lambda: definition.spec_json, task.element_id)
    every = props.get("remind_every")
    if not every:
        return
    try:
        next_at = resolve_due(every, ready_at=now, calendar=calendar_for(session), data=task.data).due_at
    except DueExpressionError as exc:
        log.warning("task %s: remind_every: %s", task.id, exc)
        return
    number = 1 if job.kind == TASK_DUE else int(job.key.rsplit(":", 1)[1]) + 1
    session.add(TimerJob(
        key=f"remind:{task.id}:{number}", kind=REMINDER, instance_id=task.instance_id, task_id=task.id,
        engine_task_id=task.engine_task_id, element_id=task.element_id, due_at=next_at,
        state=JOB_WAITING, attempts=0,
    ))
