"""Completing a task: the one use case that steps the engine from the inbox.

From top to bottom: lock the task, its instance and its part in one statement; check who
may complete it; validate the form and split off its confidential fields; run the
process family's completion handler (``registry.completion_handler``: ledgers, rules the
schema cannot say); run the engine; mark the row done; save the step
(``server.workflow.saving``: engine state, stage, new task rows, timers, save hooks). All
of it in the caller's one transaction, so of two people completing at once exactly one
wins and the other gets ``Conflict``.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from inbox.actions import OUTSIDE, can_see, is_candidate
from inbox.forms import split_confidential, validate_form
from inbox.models import COMPLETED, OPEN, Task
from inbox.queries import task_summary
from server import audit, clock
from server.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, StepFailed
from server.org.models import Person
from server.workflow import incidents
from server.workflow.definitions import form_schema
from server.workflow.engine import EngineError
from server.workflow.hooks import Completion, TaskDone, registry
from server.workflow.jobs import cancel_task_jobs
from server.workflow.models import InstancePart, ProcessInstance
from server.workflow.runs import load_part_run, load_run
from server.workflow.saving import advance_and_save, advance_part_and_save, step_failed


def _run_completion_handler(
    session: Session, task: Task, person: Person, data: dict[str, Any], confidential: dict[str, Any]
) -> None:
    """The family's handler for this element, if any; confidential fields need one that stores them."""
    handler = registry.completion_handler(task.process_key, task.element_id)
    stored = False
    if handler is not None:
        done = TaskDone(id=task.id, instance_id=task.instance_id, process_key=task.process_key,
                        element_id=task.element_id, data=task.data, due_at=task.due_at)
        stored = bool(handler(Completion(session, done, person, data, confidential)))
    if confidential and not stored:
        raise Invalid(
            f"this process keeps no confidential store for {', '.join(sorted(confidential))}; "
            "leave the confidential fields empty",
            [{"field": name, "message": "no confidential store"} for name in sorted(confidential)],
        )


_IN_A_PART = (
    select(Task, ProcessInstance, InstancePart)
    .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
    .join(InstancePart, InstancePart.id == Task.part_id)
    .options(joinedload(ProcessInstance.definition, innerjoin=True),
             joinedload(ProcessInstance.org_unit, innerjoin=True),
             undefer(InstancePart.engine_state))
    .where(Task.id == bindparam("task_id"))
    .with_for_update(of=[ProcessInstance, Task, InstancePart])
    .execution_options(populate_existing=True)
)


_IN_THE_MAIN = (
    select(Task, ProcessInstance)
    .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
    .options(joinedload(ProcessInstance.definition, innerjoin=True),
             joinedload(ProcessInstance.org_unit, innerjoin=True))
    .where(Task.id == bindparam("task_id"))
    .with_for_update(of=[ProcessInstance, Task])
    .execution_options(populate_existing=True)
)


_TASKS = cast(Table, Task.__table__)


_COMPLETE_TASK = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("task_id"), _TASKS.c.state == OPEN)
    .values(state=COMPLETED, completed_at=bindparam("now"), completed_by_id=bindparam("person_id"),
            assignee_id=bindparam("assignee_id"), claimed_at=bindparam("claimed_at"), data=bindparam("data"),
            lock_version=_TASKS.c.lock_version + 1)
)


def _lock_for_completion(session: Session, task_id: int) -> tuple[Task, ProcessInstance, InstancePart | None]:
    """The task, its instance (with definition and unit) and its part, locked, in one query.

    Every step of an instance locks its row (PostgreSQL ``FOR UPDATE``; SQLite serialises
    writers), and every row read here is locked too: after waiting for a lock, PostgreSQL
    hands back the newest version of the rows it locks and the old version of any other.
    An outer join cannot be locked, so a task of the main workflow takes a second query.
    The instance is locked first (``OF`` order), as every other writer of an instance does.
    The main workflow's state is not read here (a step in a part never needs it).
    """
    row = session.execute(_IN_A_PART, {"task_id": task_id}).one_or_none()
    if row is not None:
        return row[0], row[1], row[2]
    found = session.execute(_IN_THE_MAIN, {"task_id": task_id}).one_or_none()
    if found is None:
        raise NotFound(f"task {task_id} does not exist")
    return found[0], found[1], None  # part_id is set when a task is created and never changes


def _mark_completed(session: Session, task: Task, person: Person, data: dict[str, Any]) -> None:
    """One UPDATE of the task row (on the locked row: it is still open); the object follows."""
    now = clock.now()
    values = {
        "state": COMPLETED, "completed_at": now, "completed_by_id": person.id,
        "assignee_id": task.assignee_id if task.assignee_id is not None else person.id,
        "claimed_at": task.claimed_at if task.assignee_id is not None else now,
        "data": {**task.data, **data}, "lock_version": task.lock_version + 1,
    }
    result = session.connection().execute(_COMPLETE_TASK, {
        "task_id": task.id, "now": now, "person_id": person.id, "assignee_id": values["assignee_id"],
        "claimed_at": values["claimed_at"], "data": values["data"]})
    if result.rowcount != 1:
        raise Conflict("this task is already done")
    for key, value in values.items():
        set_committed_value(task, key, value)


def complete(session: Session, person: Person, task_id: int, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadRequest("'data' must be a JSON object", [{"field": "data", "message": "must be an object"}])
    task, instance, part = _lock_for_completion(session, task_id)
    if task.assignee_id != person.id and not can_see(session, person, task):
        raise Forbidden(OUTSIDE)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if task.assignee_id is not None and task.assignee_id != person.id:
        raise Conflict(f"this task is held by {task.assignee.display_name if task.assignee else 'someone else'}")
    if task.assignee_id is None and not is_candidate(session, person, task):
        raise Forbidden("you do not hold the role this task is offered to")
    definition = instance.definition
    schema = form_schema(definition, task.form)
    validate_form(schema, data)
    data, confidential = split_confidential(schema, data)

    if instance.state == "suspended":
        raise Conflict("the process is suspended by an overseer; its tasks wait until it is resumed")
    if instance.state != "running":
        raise Conflict(f"the process is {instance.state}: nothing more can be done in it")
    _run_completion_handler(session, task, person, data, confidential)
    run = load_run(instance) if part is None else load_part_run(instance, part)
    # The open rows of what is stepped are the ready tasks of its saved state: the save
    # needs to read back only those others than this one (usually none).
    others_open = run.ready_task_ids() - {task.engine_task_id}
    try:
        run.complete(task.engine_task_id, data)
        _mark_completed(session, task, person, data)
        cancel_task_jobs(session, [task.id])
        extra: dict[str, Any] = {"confidential_fields": sorted(confidential)} if confidential else {}
        audit.record(session, "task.completed", actor=person, instance_id=instance.id, task_id=task.id,
                     element_id=task.element_id, data=data, **extra)
        if part is None:
            advance_and_save(session, instance, definition, run, person, open_tasks=others_open)
        else:
            advance_part_and_save(session, instance, definition, part, run, person, open_tasks=others_open)
    except EngineError as exc:
        if exc.error_class is not None:  # the task's own postScript failed
            raise _task_failed(step_failed(exc, instance), task) from exc
        raise Conflict(f"the process does not wait for this task any more: {exc}") from exc
    except StepFailed as failed:  # a script after it: the completion is rolled back, an incident kept
        raise _task_failed(failed, task) from failed
    incidents.resolve(session, task_id=task.id)  # a completion that failed before went through now
    return {"task": task_summary(task), "instance": {"id": instance.id, "state": instance.state,
                                                     "stage": instance.stage}}


def _task_failed(failed: StepFailed, task: Task) -> StepFailed:
    """A step that failed on completing ``task``: its incident says so (retried by completing it again)."""
    failed.cause, failed.task_id = "task", task.id
    return failed
