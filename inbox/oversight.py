"""An overseer hands any open task to another eligible person, bound ones included.

Who may: ``server.access.oversees`` (the unit's secretary or deputy, an ``org_admin`` of
the unit or above). Who is eligible:

* a task offered to a role (a review, a leader's comment): anyone holding one of its
  candidate roles, as for a delegation;
* a task bound to one person by the process (a member's pledge, a rater's appraisal):
  anyone holding a position in the task's unit. The task keeps speaking for the person
  the process named (its data says whose pledge it is): the new holder completes it on
  his behalf, e.g. a secretary recording the pledge of a member without a phone.

The reason goes into the audit trail, so the instance's history shows who moved what,
to whom and why.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from inbox.actions import get_row, is_candidate
from inbox.models import OPEN, Task, TaskCandidate
from inbox.queries import task_summary
from server import audit, clock
from server.access import check_oversees
from server.errors import Conflict, Invalid, NotFound
from server.org.models import Person, Position
from server.org.tree import active_position_filter, holders, person_by_username
from server.workflow.control import reason_text


def _eligible(session: Session, task: Task, person: Person) -> bool:
    if task.bound_to_id is None:
        return is_candidate(session, person, task)
    return session.scalar(
        select(Position.id).where(Position.person_id == person.id, Position.org_unit_id == task.org_unit_id,
                                  active_position_filter()).limit(1)
    ) is not None


def eligible_people(session: Session, actor: Person, task_id: int) -> list[dict[str, Any]]:
    """``GET /api/tasks/{id}/eligible``: whom the overseer may hand this task to (the person picker)."""
    task = get_row(session, task_id)
    check_oversees(session, actor, task.org_unit)
    people: dict[int, Person] = {}
    if task.bound_to_id is None:
        for candidate in task.candidates:
            for person in holders(session, candidate.org_unit_id, candidate.role):
                people.setdefault(person.id, person)
    else:
        for person in session.scalars(
            select(Person).join(Position, Position.person_id == Person.id)
            .where(Position.org_unit_id == task.org_unit_id, active_position_filter())
        ):
            people.setdefault(person.id, person)
    return [{"username": p.username, "name": p.display_name, "current": p.id == task.assignee_id}
            for p in sorted(people.values(), key=lambda p: p.username) if p.active]


def reassign(session: Session, actor: Person, task_id: int, to_username: str, reason: str) -> dict[str, Any]:
    """``POST /api/tasks/{id}/reassign``: the task goes to ``to`` at once (claimed for him)."""
    text = reason_text(reason)
    task = get_row(session, task_id, for_update=True)
    check_oversees(session, actor, task.org_unit)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    try:
        target = person_by_username(session, to_username)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": "to", "message": exc.message}]) from exc
    if not target.active:
        raise Invalid(f"{target.display_name} ({target.username}) is no longer active",
                      [{"field": "to", "message": "inactive"}])
    if target.id == task.assignee_id:
        raise Invalid(f"the task is already held by {target.display_name}", [{"field": "to", "message": "same person"}])
    if not _eligible(session, task, target):
        where = "a position in this unit" if task.bound_to_id is not None else f"the role '{task.role}'"
        raise Invalid(f"{target.display_name} ({target.username}) does not hold {where}",
                      [{"field": "to", "message": "not eligible for this task"}])
    previous = task.assignee.username if task.assignee else None
    task.assignee_id = target.id
    if task.bound_to_id is not None:
        task.bound_to_id = target.id
    task.claimed_at = clock.now()
    task.lock_version += 1
    audit.record(session, "task.reassigned", actor=actor, instance_id=task.instance_id, task_id=task.id,
                 element_id=task.element_id, to=target.username, to_name=target.display_name, previous=previous,
                 reason=text)
    session.flush()
    session.refresh(task)
    return task_summary(task)


def return_unheld_claims(session: Session, person: Person, actor: Person | None, reason: str) -> list[int]:
    """Role tasks ``person`` claimed but whose role he no longer holds (an appointment ended, a
    transfer) go back to the pool of the role's holders now; the ids of the tasks returned.

    Three statements however many tasks: the tasks (locked), one UPDATE, the audit rows."""
    still_held = (
        select(TaskCandidate.id)
        .join(Position, and_(Position.org_unit_id == TaskCandidate.org_unit_id, Position.role == TaskCandidate.role))
        .where(TaskCandidate.task_id == Task.id, Position.person_id == person.id, active_position_filter())
    )
    offered = select(TaskCandidate.id).where(TaskCandidate.task_id == Task.id)
    rows = session.execute(
        select(Task.id, Task.instance_id, Task.element_id)
        .where(Task.assignee_id == person.id, Task.state == OPEN, Task.bound_to_id.is_(None),
               exists(offered), ~exists(still_held))
        .order_by(Task.id).with_for_update(of=Task)).all()
    if not rows:
        return []
    ids = [task_id for task_id, _, _ in rows]
    session.execute(update(Task).where(Task.id.in_(ids), Task.assignee_id == person.id)
                    .values(assignee_id=None, claimed_at=None, lock_version=Task.lock_version + 1)
                    .execution_options(synchronize_session="fetch"))
    audit.record_all(session, [
        audit.event("task.returned_to_pool", actor=actor, instance_id=instance_id, task_id=task_id,
                    element_id=element_id, previous=person.username, reason=reason)
        for task_id, instance_id, element_id in rows])
    return ids
