"""Timers and due dates as database rows (``timer_job``), and what firing one does.

Every waiting BPMN timer and every due date of an open task is a row with its due
time, written by a save hook in the same transaction as the instance save that
made it wait. A scheduler (``server.workflow.scheduler``, or Celery in ``server.worker``)
fires due rows one transaction each, through :func:`fire`:

1. the job row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
   serialises writers with ``BEGIN IMMEDIATE``) and must still be ``waiting``;
2. what it acts on is locked without waiting (the instance, or the task): if
   someone holds it, the job is left for the next pass (:class:`Busy`);
3. the job is marked ``fired`` and its effect (engine step, notification, new
   instance) is written in the same transaction, so either both commit or
   neither does. A worker killed half-way leaves the row ``waiting``; it is
   fired on the next pass, by whichever worker gets there first.

Job keys say what a row waits for (``bpmn:<instance>:<engine task>``,
``due:<task>``, ``remind:<task>:<n>``, ``schedule:<schedule>:<run>:<unit>``), so
writing one twice is harmless.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, text, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from server import audit, clock
from server.workflow.engine import Snapshot, has_timer_events
from server.workflow.hooks import Outcome, registry
from server.workflow.models import (
    JOB_CANCELLED,
    JOB_FAILED,
    JOB_FIRED,
    JOB_HELD,
    JOB_WAITING,
    ProcessInstance,
    TimerJob,
)
from server.workflow.runs import load_run, spec_key
from server.workflow.saving import advance_and_save

log = logging.getLogger("vanguard.timers")

BPMN_TIMER = "bpmn_timer"
TASK_DUE = "task_due"
REMINDER = "reminder"
SCHEDULE = "schedule"
TASK_CLOSE = "task_close"
"""A task's ``closes_at``: its stage's date has passed, the person is withdrawn (``inbox.closing``)."""

MAX_ATTEMPTS = 5
"""A job that fails this often is set ``failed`` (and audited) instead of retried."""

_SET_LOCK_TIMEOUT = text("SET LOCAL lock_timeout = '10s'")


class Busy(Exception):
    """What the job acts on is locked by someone else: try again on the next pass."""


def worker_id() -> str:
    """``host:pid``: which process fired a job (the pid changes after a fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def bpmn_key(instance_id: int, engine_task_id: str) -> str:
    return f"bpmn:{instance_id}:{engine_task_id}"


def due_key(task_id: int) -> str:
    return f"due:{task_id}"


def close_key(task_id: int) -> str:
    return f"close:{task_id}"


# -- writing rows: after every instance save ------------------------------------------------


def sync_instance_jobs(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    """Make the instance's waiting BPMN timer rows match the timers its main workflow waits on.

    One query, and only for a process that has timer events at all. Due dates are not
    reconciled here: a task's job is written when the task is (``due_job_row``) and
    dropped when it is completed or withdrawn (``cancel_task_jobs``); parts have no timers.
    """
    if snapshot.part is not None:
        return
    definition = instance.definition
    if not snapshot.timers and not has_timer_events(spec_key(definition), lambda: definition.spec_json):
        return
    running = instance.state == "running" and not snapshot.completed
    waiting = session.scalars(
        select(TimerJob).where(TimerJob.instance_id == instance.id, TimerJob.state == JOB_WAITING,
                               TimerJob.kind == BPMN_TIMER)
    ).all()
    _sync_bpmn_timers(session, instance, snapshot if running else None, list(waiting))


def due_job_row(task_id: int, task: dict[str, Any]) -> dict[str, Any]:
    """The job that tells people when a new task falls due, as a row for ``timer_job``."""
    return {
        "key": due_key(task_id), "kind": TASK_DUE, "instance_id": task["instance_id"], "task_id": task_id,
        "engine_task_id": task["engine_task_id"], "element_id": task["element_id"], "due_at": task["due_at"],
        "state": JOB_WAITING, "attempts": 0,
    }


def close_job_row(task_id: int, task: dict[str, Any], closes_at: datetime) -> dict[str, Any]:
    """The job that closes a new task's part in its multi-instance when its stage's date passes."""
    return {**due_job_row(task_id, task), "key": close_key(task_id), "kind": TASK_CLOSE, "due_at": closes_at}


_JOBS = cast(Table, TimerJob.__table__)
_CANCEL_TASK_JOBS = (
    update(_JOBS)
    .where(_JOBS.c.task_id.in_(bindparam("task_ids", expanding=True)), _JOBS.c.state == JOB_WAITING)
    .values(state=JOB_CANCELLED)
)


def cancel_task_jobs(session: Session, task_ids: list[int]) -> None:
    """The tasks were completed or withdrawn: none of their due dates or reminders fires.

    One UPDATE on the session's connection (nothing pending is flushed first); jobs of these
    tasks that the session holds, pending or loaded, are set cancelled in memory too.
    """
    if not task_ids:
        return
    wanted = set(task_ids)
    for obj in (*session.new, *session.identity_map.values()):
        if isinstance(obj, TimerJob) and obj.task_id in wanted and obj.state == JOB_WAITING:
            if obj in session.new:
                obj.state = JOB_CANCELLED
            else:
                set_committed_value(obj, "state", JOB_CANCELLED)
    session.connection().execute(_CANCEL_TASK_JOBS, {"task_ids": list(wanted)})


def _sync_bpmn_timers(session: Session, instance: ProcessInstance, snapshot: Snapshot | None,
                      rows: list[TimerJob]) -> None:
    wanted = {bpmn_key(instance.id, t.engine_task_id): t for t in (snapshot.timers if snapshot else [])}
    waiting = {job.key: job for job in rows}
    for key, job in waiting.items():
        wait = wanted.get(key)
        if wait is None:
            job.state = JOB_CANCELLED
        elif job.due_at != wait.due_at:
            job.due_at = wait.due_at
    missing = [key for key in wanted if key not in waiting]
    if not missing:
        return
    earlier = {job.key: job for job in session.scalars(select(TimerJob).where(TimerJob.key.in_(missing)))}
    for key in missing:
        wait = wanted[key]
        old = earlier.get(key)
        if old is None:
            session.add(TimerJob(
                key=key, kind=BPMN_TIMER, instance_id=instance.id, engine_task_id=wait.engine_task_id,
                element_id=wait.element_id, due_at=wait.due_at, state=JOB_WAITING, attempts=0,
            ))
            continue
        # Fired or cancelled before, and the engine waits on it again (a cycle's next turn).
        if old.state == JOB_FIRED and old.due_at >= wait.due_at:
            # The engine did not take the firing: never spin on it, look again later.
            log.warning("timer %s still waits for %s after firing; retrying later", key, wait.due_at)
            old.retry_at = clock.now() + timedelta(minutes=1)
        else:
            old.retry_at = None
        old.state, old.due_at, old.attempts, old.last_error = JOB_WAITING, wait.due_at, 0, None


# -- claiming -------------------------------------------------------------------------------


def due_condition(now: datetime) -> Any:
    """Rows that may fire now: waiting, due, not backing off after an error."""
    return and_(
        TimerJob.state == JOB_WAITING,
        TimerJob.due_at <= now,
        or_(TimerJob.retry_at.is_(None), TimerJob.retry_at <= now),
    )


def lease_free(now: datetime) -> Any:
    return or_(TimerJob.locked_until.is_(None), TimerJob.locked_until <= now)


def claim_next(session: Session, now: datetime, skip: set[int]) -> TimerJob | None:
    """Lock the earliest due job nobody else holds (PostgreSQL: ``SKIP LOCKED``)."""
    stmt = select(TimerJob).where(due_condition(now), lease_free(now))
    if skip:
        stmt = stmt.where(TimerJob.id.not_in(skip))
    return session.scalar(
        stmt.order_by(TimerJob.due_at, TimerJob.id).limit(1).with_for_update(skip_locked=True)
    )


def claim_by_id(session: Session, job_id: int, now: datetime) -> TimerJob | None:
    """Lock one job if it is still due and nobody else holds it (a Celery task's job)."""
    return session.scalar(
        select(TimerJob).where(TimerJob.id == job_id, due_condition(now)).with_for_update(skip_locked=True)
    )


def limit_lock_waits(session: Session) -> None:
    """On PostgreSQL, never wait long for a row lock inside a job (the job is retried)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_SET_LOCK_TIMEOUT)


# -- firing ---------------------------------------------------------------------------------


def fire(session: Session, job: TimerJob, now: datetime, worker: str) -> Outcome:
    """Do what a locked, waiting job stands for (its kind's handler in ``registry.jobs``);
    the caller commits (or rolls back on error)."""
    job.attempts += 1
    job.locked_by = worker
    handler = registry.jobs.get(job.kind)
    if handler is not None:
        return handler(session, job, now, worker)
    job.state = JOB_FAILED
    job.last_error = f"unknown job kind '{job.kind}'"
    return Outcome(JOB_FAILED, job.last_error)


def mark_fired(job: TimerJob, now: datetime, worker: str) -> None:
    job.state = JOB_FIRED
    job.fired_at = now
    job.fired_by = worker
    job.retry_at = None
    job.last_error = None


def fire_bpmn_timer(session: Session, job: TimerJob, now: datetime, worker: str) -> Outcome:
    assert job.instance_id is not None
    instance = session.scalar(
        select(ProcessInstance)
        .options(joinedload(ProcessInstance.definition, innerjoin=True))
        .where(ProcessInstance.id == job.instance_id)
        .with_for_update(of=ProcessInstance, skip_locked=True)
    )
    if instance is None:
        if session.get(ProcessInstance, job.instance_id) is not None:
            raise Busy(f"instance {job.instance_id} is busy")
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, "instance gone")
    if instance.state == "suspended":  # its timers wait until it is resumed
        job.state = JOB_HELD
        return Outcome(JOB_HELD, "instance suspended")
    if instance.state != "running":
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, f"instance {instance.state}")
    run = load_run(instance)
    fired = run.fire_due_timers(now)
    keys = {bpmn_key(instance.id, w.engine_task_id): w for w in fired}
    if job.key not in keys:
        # The engine no longer waits on this timer, or waits longer: the save below
        # re-creates the row if it still waits.
        job.state = JOB_CANCELLED
        job.last_error = "the engine was not waiting for this timer any more"
    # Every timer of the instance that fell due fires now, each row exactly once.
    others = [key for key in keys if key != job.key]
    rows = {r.key: r for r in session.scalars(select(TimerJob).where(TimerJob.key.in_(others)))} if others else {}
    if job.key in keys:
        rows[job.key] = job
    for key, wait in keys.items():
        row = rows.get(key)
        if row is not None:
            mark_fired(row, now, worker)
        audit.record(
            session, "timer.fired", actor=None, instance_id=instance.id, element_id=wait.element_id,
            job_id=row.id if row is not None else None, due_at=wait.due_at.isoformat(),
            late_seconds=int(max(0.0, (now - wait.due_at).total_seconds())), worker=worker,
        )
    advance_and_save(session, instance, instance.definition, run, None)
    if job.key in keys:
        return Outcome(JOB_FIRED, f"{len(keys)} timer(s) fired")
    return Outcome(JOB_CANCELLED, "not waiting")


# -- errors ---------------------------------------------------------------------------------


def record_failure(session: Session, job_id: int, error: str, now: datetime, worker: str) -> None:
    """After a rolled-back attempt: count it, back off, give up after ``MAX_ATTEMPTS``."""
    job = session.scalar(select(TimerJob).where(TimerJob.id == job_id).with_for_update())
    if job is None or job.state != JOB_WAITING:
        return
    job.attempts += 1
    job.last_error = error[:2000]
    job.locked_by = worker
    job.locked_until = None
    if job.attempts >= MAX_ATTEMPTS:
        job.state = JOB_FAILED
        audit.record(session, "timer.failed", actor=None, instance_id=job.instance_id, task_id=job.task_id,
                     job_id=job.id, kind=job.kind, element_id=job.element_id, error=job.last_error)
        if job.instance_id is not None and job.kind == BPMN_TIMER:
            session.execute(update(ProcessInstance).where(ProcessInstance.id == job.instance_id)
                            .values(error=f"timer {job.element_id}: {job.last_error}")
                            .execution_options(synchronize_session=False))
    else:
        job.retry_at = now + timedelta(seconds=min(3600, 30 * 2 ** (job.attempts - 1)))


def job_dict(job: TimerJob) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": job.id, "kind": job.kind, "state": job.state, "instance_id": job.instance_id,
        "task_id": job.task_id, "schedule_id": job.schedule_id, "org_unit_id": job.org_unit_id,
        "element_id": job.element_id, "due_at": iso(job.due_at), "attempts": job.attempts,
        "retry_at": iso(job.retry_at), "last_error": job.last_error, "fired_at": iso(job.fired_at),
        "fired_by": job.fired_by,
    }
