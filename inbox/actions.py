"""Acting on one task without finishing it: seeing it, claiming, giving back, handing on.

Races are settled by the database: a claim is a conditional UPDATE, so of two people
claiming at once exactly one wins and the other gets ``Conflict``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from inbox.queries import task_summary, with_working_days
from inbox.summaries import people_of
from server import audit, clock
from server.access import oversees, visible_unit_filter
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import holds_any, person_by_username
from server.workflow.definitions import form_schema
from server.workflow.models import ProcessInstance

OUTSIDE = "this task is neither yours nor in a unit you oversee"
"""Said to someone who may not see a task, before anything about its state or holder."""


def can_see(session: Session, person: Person, task: Task) -> bool:
    """The holder, the one who did it, a candidate, or an overseer of its unit."""
    if task.assignee_id == person.id or task.completed_by_id == person.id:
        return True
    pairs = [(c.org_unit_id, c.role) for c in task.candidates]
    if holds_any(session, person.id, pairs):
        return True
    return session.scalar(
        select(OrgUnit.id).where(
            OrgUnit.id == task.org_unit_id, visible_unit_filter(session, person.id, overseers_only=True)
        )
    ) is not None


def get_row(session: Session, task_id: int, *, for_update: bool = False) -> Task:
    stmt = select(Task).where(Task.id == task_id)
    if for_update:
        stmt = stmt.with_for_update()
    task = session.scalar(stmt)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def get_task(session: Session, person: Person, task_id: int) -> dict[str, Any]:
    task = get_row(session, task_id)
    if not can_see(session, person, task):
        raise Forbidden(OUTSIDE)
    detail = with_working_days(session, [task_summary(task)])[0]
    schema = form_schema(task.instance.definition, task.form)
    starter = task.instance.started_by
    detail.update(
        instructions=task.instructions,
        form=task.form,
        form_schema=schema,
        data=task.data,
        actions=_actions(session, person, task),
        started_by_name=starter.display_name if starter else None,
        people=people_of(session, schema, {**(task.data or {}), "started_by": starter.username if starter else None}),
    )
    return detail


def is_candidate(session: Session, person: Person, task: Task) -> bool:
    return holds_any(session, person.id, [(c.org_unit_id, c.role) for c in task.candidates])


def _actions(session: Session, person: Person, task: Task) -> list[str]:
    if task.state != OPEN:
        return []
    candidate = is_candidate(session, person, task)
    actions = []
    if task.assignee_id is None and candidate:
        actions += ["claim", "complete", "delegate"]
    if task.assignee_id == person.id:
        actions.append("complete")
        if task.bound_to_id is None:
            actions += ["unclaim", "delegate"]
    overseer = oversees(session, person.id, task.org_unit)
    if overseer:
        actions.append("reassign")
    if overseer or task.instance.started_by_id == person.id:
        actions.append("remind")  # inbox.urging
    return actions


def claim(session: Session, person: Person, task_id: int) -> dict[str, Any]:
    task = get_row(session, task_id)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if not is_candidate(session, person, task):
        raise Forbidden("you do not hold the role this task is offered to")
    now = clock.now()
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.state == OPEN, Task.assignee_id.is_(None))
        .values(assignee_id=person.id, claimed_at=now, lock_version=Task.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("someone else claimed this task first")
    session.refresh(task)
    audit.record(session, "task.claimed", actor=person, instance_id=task.instance_id, task_id=task.id)
    return task_summary(task)


def unclaim(session: Session, person: Person, task_id: int) -> dict[str, Any]:
    task = get_row(session, task_id, for_update=True)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if task.assignee_id != person.id:
        raise Forbidden("only the person who holds a task can give it back")
    if task.bound_to_id is not None:
        raise Conflict("this task is yours by the process and cannot be given back")
    task.assignee_id = None
    task.claimed_at = None
    task.lock_version += 1
    audit.record(session, "task.unclaimed", actor=person, instance_id=task.instance_id, task_id=task.id)
    return task_summary(task)


def delegate(session: Session, person: Person, task_id: int, to_username: str) -> dict[str, Any]:
    task = get_row(session, task_id, for_update=True)
    if not can_see(session, person, task):
        raise Forbidden(OUTSIDE)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if task.bound_to_id is not None:
        raise Conflict("this task belongs to one person by the process and cannot be delegated")
    if not (task.assignee_id == person.id or (task.assignee_id is None and is_candidate(session, person, task))):
        raise Forbidden("only the holder of a task, or a candidate of an unclaimed one, can delegate it")
    try:
        target = person_by_username(session, to_username)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": "to", "message": exc.message}]) from exc
    if not is_candidate(session, target, task):
        raise Invalid(
            f"{target.display_name} ({target.username}) does not hold the role '{task.role}' for this task",
            [{"field": "to", "message": "not eligible for this task"}],
        )
    previous = task.assignee.username if task.assignee else None
    task.assignee_id = target.id
    task.claimed_at = clock.now()
    task.lock_version += 1
    audit.record(session, "task.delegated", actor=person, instance_id=task.instance_id, task_id=task.id,
                 to=target.username, previous=previous)
    session.flush()
    session.refresh(task)
    return task_summary(task)


def instance_of(session: Session, task_id: int) -> ProcessInstance:
    return get_row(session, task_id).instance
