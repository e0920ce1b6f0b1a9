"""The life of a task: who may see it, claim it, hand it on and complete it.

Each public function is one use case and runs inside the caller's
transaction. Races are settled by the database: a claim is a conditional
UPDATE, a completion locks the task row and then the instance row, so of two
people acting at once exactly one wins and the other gets ``Conflict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from inbox.models import COMPLETED, OPEN, Task, TaskCandidate
from server import audit, clock
from server.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from server.instances import advance_and_save, load_run, lock_instance
from server.models import OrgUnit, Person, Position, ProcessInstance
from server.org import active_position_filter, holds_any, person_by_username, visible_unit_filter

SCOPES = ("mine", "claimable", "all")
SORTS = {
    "due": (Task.due_at.is_(None), Task.due_at, Task.id),
    "-priority": (Task.priority.desc(), Task.id),
    "created": (Task.id,),
    "-created": (Task.id.desc(),),
}


@dataclass(frozen=True)
class TaskFilter:
    scope: str = "mine"
    process: str | None = None
    stage: str | None = None
    org_unit: int | None = None
    overdue: bool | None = None
    state: str = OPEN
    q: str | None = None
    sort: str = "due"
    limit: int = 50
    offset: int = 0


def _candidate_condition(person_id: int) -> Any:
    """True for tasks whose candidates include a position the person holds now."""
    return exists(
        select(TaskCandidate.id)
        .join(
            Position,
            and_(Position.org_unit_id == TaskCandidate.org_unit_id, Position.role == TaskCandidate.role),
        )
        .where(TaskCandidate.task_id == Task.id, Position.person_id == person_id, active_position_filter())
    )


def _query(session: Session, person: Person, f: TaskFilter) -> Select[Any]:
    if f.scope not in SCOPES:
        raise BadRequest(f"scope must be one of {', '.join(SCOPES)}",
                         [{"field": "scope", "message": "unknown scope"}])
    stmt = select(Task)
    if f.scope == "mine":
        stmt = stmt.where(Task.assignee_id == person.id)
    elif f.scope == "claimable":
        stmt = stmt.where(Task.assignee_id.is_(None), _candidate_condition(person.id))
    else:
        stmt = stmt.where(
            or_(
                Task.assignee_id == person.id,
                _candidate_condition(person.id),
                Task.org_unit_id.in_(select(OrgUnit.id).where(visible_unit_filter(session, person.id))),
            )
        )
    if f.state != "any":
        stmt = stmt.where(Task.state == f.state)
    if f.process:
        stmt = stmt.where(Task.process_key == f.process)
    if f.stage:
        stmt = stmt.where(Task.stage == f.stage)
    if f.org_unit is not None:
        stmt = stmt.where(Task.org_unit_id == f.org_unit)
    if f.overdue is True:
        stmt = stmt.where(Task.due_at.is_not(None), Task.due_at < clock.now())
    elif f.overdue is False:
        stmt = stmt.where(or_(Task.due_at.is_(None), Task.due_at >= clock.now()))
    if f.q:
        like = f"%{f.q}%"
        stmt = stmt.where(or_(Task.name.ilike(like), Task.instructions.ilike(like)))
    return stmt


def list_tasks(session: Session, person: Person, f: TaskFilter) -> dict[str, Any]:
    stmt = _query(session, person, f)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = SORTS.get(f.sort)
    if order is None:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}", [{"field": "sort", "message": "unknown sort"}])
    rows = session.scalars(stmt.order_by(*order).limit(f.limit).offset(f.offset)).all()
    return {"items": [task_summary(t) for t in rows], "total": total, "limit": f.limit, "offset": f.offset}


def counts(session: Session, person: Person) -> dict[str, int]:
    result = {}
    for scope in ("mine", "claimable"):
        stmt = _query(session, person, TaskFilter(scope=scope))
        result[scope] = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    overdue = _query(session, person, TaskFilter(scope="mine", overdue=True))
    result["overdue"] = session.scalar(select(func.count()).select_from(overdue.subquery())) or 0
    return result


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task_summary(task: Task) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": task.id,
        "name": task.name,
        "element_id": task.element_id,
        "process_key": task.process_key,
        "instance_id": task.instance_id,
        "instance_title": task.instance.title if task.instance else None,
        "stage": task.stage,
        "stage_label": task.stage_label,
        "org_unit": {"id": task.org_unit.id, "name": task.org_unit.name, "code": task.org_unit.code},
        "role": task.role,
        "assignee": task.assignee.username if task.assignee else None,
        "assignee_name": task.assignee.display_name if task.assignee else None,
        "bound": task.bound_to_id is not None,
        "due_at": _iso(task.due_at),
        "due_estimated": task.due_estimated,
        "overdue": bool(task.due_at and task.state == OPEN and task.due_at < now),
        "priority": task.priority,
        "state": task.state,
        "created_at": _iso(task.created_at),
        "claimed_at": _iso(task.claimed_at),
        "completed_at": _iso(task.completed_at),
    }


def _can_see(session: Session, person: Person, task: Task) -> bool:
    if task.assignee_id == person.id or task.completed_by_id == person.id:
        return True
    pairs = [(c.org_unit_id, c.role) for c in task.candidates]
    if holds_any(session, person.id, pairs):
        return True
    return session.scalar(
        select(OrgUnit.id).where(OrgUnit.id == task.org_unit_id, visible_unit_filter(session, person.id))
    ) is not None


def _get(session: Session, task_id: int, *, for_update: bool = False) -> Task:
    stmt = select(Task).where(Task.id == task_id)
    if for_update:
        stmt = stmt.with_for_update()
    task = session.scalar(stmt)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    return task


def get_task(session: Session, person: Person, task_id: int) -> dict[str, Any]:
    task = _get(session, task_id)
    if not _can_see(session, person, task):
        raise Forbidden("this task is not in any of your units")
    detail = task_summary(task)
    detail.update(
        instructions=task.instructions,
        form=task.form,
        form_schema=task.instance.definition.forms.get(task.form) if task.form else None,
        data=task.data,
        actions=_actions(session, person, task),
    )
    return detail


def _is_candidate(session: Session, person: Person, task: Task) -> bool:
    return holds_any(session, person.id, [(c.org_unit_id, c.role) for c in task.candidates])


def _actions(session: Session, person: Person, task: Task) -> list[str]:
    if task.state != OPEN:
        return []
    candidate = _is_candidate(session, person, task)
    actions = []
    if task.assignee_id is None and candidate:
        actions += ["claim", "complete", "delegate"]
    if task.assignee_id == person.id:
        actions.append("complete")
        if task.bound_to_id is None:
            actions += ["unclaim", "delegate"]
    return actions


def claim(session: Session, person: Person, task_id: int) -> dict[str, Any]:
    task = _get(session, task_id)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if not _is_candidate(session, person, task):
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
    task = _get(session, task_id, for_update=True)
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
    task = _get(session, task_id, for_update=True)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if task.bound_to_id is not None:
        raise Conflict("this task belongs to one person by the process and cannot be delegated")
    if not (task.assignee_id == person.id or (task.assignee_id is None and _is_candidate(session, person, task))):
        raise Forbidden("only the holder of a task, or a candidate of an unclaimed one, can delegate it")
    try:
        target = person_by_username(session, to_username)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": "to", "message": exc.message}]) from exc
    if not _is_candidate(session, target, task):
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


def validate_form(schema: dict[str, Any] | None, data: dict[str, Any]) -> None:
    if schema is None:
        return
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    details = []
    for error in errors:
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            field = ".".join(filter(None, [field, missing]))
            message = "required"
        elif error.validator == "additionalProperties":
            message = error.message
        else:
            message = error.message
        details.append({"field": field or None, "message": message, "rule": error.validator})
    fields = ", ".join(sorted({d["field"] or "(form)" for d in details}))
    raise Invalid(f"the form has errors in: {fields}", details)


def complete(session: Session, person: Person, task_id: int, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadRequest("'data' must be a JSON object", [{"field": "data", "message": "must be an object"}])
    task = _get(session, task_id, for_update=True)
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if task.assignee_id is not None and task.assignee_id != person.id:
        raise Conflict(f"this task is held by {task.assignee.display_name if task.assignee else 'someone else'}")
    if task.assignee_id is None and not _is_candidate(session, person, task):
        raise Forbidden("you do not hold the role this task is offered to")
    schema = task.instance.definition.forms.get(task.form) if task.form else None
    validate_form(schema, data)

    instance = lock_instance(session, task.instance_id)
    if instance.state != "running":
        raise Conflict("the process has already ended")
    run = load_run(instance)
    run.complete(task.engine_task_id, data)
    now = clock.now()
    task.state = COMPLETED
    task.completed_at = now
    task.completed_by_id = person.id
    if task.assignee_id is None:
        task.assignee_id = person.id
        task.claimed_at = now
    task.data = {**task.data, **data}
    task.lock_version += 1
    session.flush()
    audit.record(session, "task.completed", actor=person, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, data=data)
    advance_and_save(session, instance, instance.definition, run, person)
    return {"task": task_summary(task), "instance": {"id": instance.id, "state": instance.state,
                                                     "stage": instance.stage}}


def instance_of(session: Session, task_id: int) -> ProcessInstance:
    return _get(session, task_id).instance
