"""Stage deadlines: when a stage's date passes, or an overseer closes it early, nobody is waited for.

A user task with a ``closes_at`` property (docs/bpmn-authoring.md; e.g. a member's pledge
draft, ``=timetable.pledge``) gets a ``task_close`` job when it opens. When that moment
passes, the person the task waits for is withdrawn from the multi-instance around it
(``server.workflow.control.withdraw_children``): his instance ends with no result, the
process family records what that means (未承诺, 未参评, 未参加...), and the process moves
on with what it has. An overseer may close a stage early (``close_stage``): every open
task of that stage that waits for one person and has a closing is closed at once; the
overseers' own tasks of the stage (reviews, ratings) stay open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from inbox.models import OPEN, Task
from server.errors import Conflict, Invalid
from server.org.models import Person
from server.workflow.control import must_run, overseen, reason_text, withdraw_children
from server.workflow.engine import MultiChild, Run
from server.workflow.hooks import Outcome
from server.workflow.jobs import TASK_CLOSE, Busy, mark_fired
from server.workflow.models import (
    JOB_CANCELLED,
    JOB_FIRED,
    JOB_HELD,
    JOB_WAITING,
    InstancePart,
    ProcessInstance,
    TimerJob,
)
from server.workflow.runs import load_run

DEADLINE = "deadline"
CLOSED_EARLY = "closed_early"
DEADLINE_REASON = "阶段截止时间已过 (the stage's date has passed)"


def _children(session: Session, run: Run, tasks: list[Task]) -> list[MultiChild]:
    found = []
    for task in tasks:
        if task.part_id is not None:
            part = session.get(InstancePart, task.part_id)
            child = run.child_holding(part.engine_task_id) if part is not None else None
        else:
            child = run.child_holding(task.engine_task_id)
        if child is not None:
            found.append(child)
    return found


def fire_task_close(session: Session, job: TimerJob, now: datetime, worker: str) -> Outcome:
    """Close every task of the job's instance whose closing is due (one load of the instance)."""
    assert job.instance_id is not None
    instance = session.scalar(
        select(ProcessInstance).options(joinedload(ProcessInstance.definition, innerjoin=True))
        .where(ProcessInstance.id == job.instance_id).with_for_update(of=ProcessInstance, skip_locked=True))
    if instance is None:
        if session.get(ProcessInstance, job.instance_id) is not None:
            raise Busy(f"instance {job.instance_id} is busy")
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, "instance gone")
    if instance.state == "suspended":
        job.state = JOB_HELD
        return Outcome(JOB_HELD, "instance suspended")
    if instance.state != "running":
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, f"instance {instance.state}")
    due = [job, *session.scalars(
        select(TimerJob).where(TimerJob.instance_id == instance.id, TimerJob.kind == TASK_CLOSE,
                               TimerJob.state == JOB_WAITING, TimerJob.due_at <= now, TimerJob.id != job.id)
        .with_for_update(skip_locked=True))]
    tasks = list(session.scalars(select(Task).where(Task.id.in_([j.task_id for j in due]), Task.state == OPEN)))
    run = load_run(instance)
    withdrawn = withdraw_children(session, instance, run, _children(session, run, tasks), cause=DEADLINE,
                                  reason=DEADLINE_REASON, actor=None)
    for each in due:
        mark_fired(each, now, worker)
    return Outcome(JOB_FIRED, f"{len(withdrawn)} withdrawn")


def close_stage(session: Session, actor: Person, instance_id: int, stage: str, reason: str) -> dict[str, Any]:
    """``POST /api/process-instances/{id}/close-stage``: stop waiting for the participants of a stage now."""
    text = reason_text(reason)
    instance = overseen(session, actor, instance_id)
    must_run(instance)
    if stage not in {s["code"] for s in instance.definition.stages}:
        raise Invalid(f"'{stage}' is not a stage of this process", [{"field": "stage", "message": "unknown stage"}])
    tasks = list(session.scalars(
        select(Task).join(TimerJob, TimerJob.task_id == Task.id)
        .where(Task.instance_id == instance.id, Task.state == OPEN, Task.stage == stage,
               Task.bound_to_id.is_not(None), TimerJob.kind == TASK_CLOSE, TimerJob.state == JOB_WAITING)
        .order_by(Task.id)))
    if not tasks:
        raise Conflict(f"nobody is waited for in the stage '{stage}' any more")
    run = load_run(instance)
    withdrawn = withdraw_children(session, instance, run, _children(session, run, tasks), cause=CLOSED_EARLY,
                                  reason=text, actor=actor)
    return {"instance": {"id": instance.id, "state": instance.state, "stage": instance.stage,
                         "stage_label": instance.stage_label}, "withdrawn": withdrawn}
