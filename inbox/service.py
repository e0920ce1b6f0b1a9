"""The life of a task: who may see it, claim it, hand it on and complete it.

Each public function is one use case and runs inside the caller's
transaction. Races are settled by the database: a claim is a conditional
UPDATE, a completion locks the task row and then the instance row, so of two
people acting at once exactly one wins and the other gets ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from jsonschema import Draft202012Validator
from sqlalchemy import Select, Table, and_, bindparam, false, func, or_, select, union_all, update
from sqlalchemy.orm import Session, joinedload, undefer
from sqlalchemy.orm.attributes import set_committed_value

from inbox.models import COMPLETED, OPEN, Task, TaskCandidate
from server import audit, clock
from server.access import visible_unit_filter
from server.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, holds_any, person_by_username
from server.workflow.definitions import form_schema
from server.workflow.engine import EngineError
from server.workflow.instances import advance_and_save, advance_part_and_save, load_part_run, load_run
from server.workflow.jobs import cancel_task_jobs
from server.workflow.models import InstancePart, ProcessInstance

SCOPES = ("mine", "claimable", "all")
# Each sort is a list of (column, descending); "due" lists tasks without a due date last.
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "due": (("due_at", False), ("id", False)),
    "-priority": (("priority", True), ("id", False)),
    "created": (("id", False),),
    "-created": (("id", True),),
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


def _order(columns: Mapping[str, Any], sort: str) -> list[Any]:
    spec = SORTS.get(sort)
    if spec is None:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}", [{"field": "sort", "message": "unknown sort"}])
    order = []
    for name, descending in spec:
        column = columns[name]
        if name == "due_at":
            # NULLS LAST is PostgreSQL's own order for ASC, so its (state, due_at) index yields it directly.
            order.append(column.asc().nulls_last())
        else:
            order.append(column.desc() if descending else column.asc())
    return order


def _candidate_task_ids(person_id: int) -> Select[Any]:
    """Ids of the tasks offered to a position the person holds now."""
    return (
        select(TaskCandidate.task_id)
        .join(
            Position,
            and_(Position.org_unit_id == TaskCandidate.org_unit_id, Position.role == TaskCandidate.role),
        )
        .where(Position.person_id == person_id, active_position_filter())
    )


def _candidate_condition(person_id: int) -> Any:
    """True for tasks whose candidates include a position the person holds now."""
    return Task.id.in_(_candidate_task_ids(person_id))


def _offered_ids(session: Session, person: Person, conditions: list[Any]) -> list[int]:
    """Ids of the tasks offered to the person's positions that meet ``conditions``.

    Fetched on their own, with no order and no limit: asked for "the first 50
    by due date", the database prefers walking every open task in due order
    and testing each against the offers, which is slow exactly when few are
    offered; asked for the set, it starts from the offers. The positions are
    read first and named in the query, so that the database knows how many
    offers each has (none, for an administrator) instead of guessing.
    """
    stmt = select(Position.org_unit_id, Position.role).where(Position.person_id == person.id, active_position_filter())
    pairs = session.execute(stmt).all()
    if not pairs:
        return []
    offered = or_(*[and_(TaskCandidate.org_unit_id == unit, TaskCandidate.role == role) for unit, role in pairs])
    ids = select(Task.id).join(TaskCandidate, TaskCandidate.task_id == Task.id).where(offered, *conditions)
    return list(session.scalars(ids.distinct()))


@dataclass(frozen=True)
class _Part:
    """One of the disjoint parts of a scope: a condition on ``Task``, or a list of ids already filtered."""

    condition: Any
    ids: list[int] | None = None

    @classmethod
    def of_ids(cls, ids: list[int]) -> _Part:
        return cls(Task.id.in_(_literal_ids(ids)) if ids else false(), ids)


def _literal_ids(ids: list[int]) -> Any:
    """A list of ids written into the SQL text: one bound parameter per id costs more to send than to run."""
    return bindparam(None, ids, expanding=True, literal_execute=True)


VISIBLE_UNITS_LISTED = 2_000


def _scope_parts(session: Session, person: Person, f: TaskFilter, filters: list[Any]) -> list[_Part]:
    """The scope as parts that no two tasks share, each one cheap to evaluate.

    ``all`` is "in a unit I may look into, or mine, or offered to me". Written
    as one OR, no index applies and the database reads every open task of the
    organisation; as disjoint parts, the first is an index range, the second
    an index lookup and the third a short list of ids, and counts add up.
    """
    if f.scope not in SCOPES:
        raise BadRequest(f"scope must be one of {', '.join(SCOPES)}",
                         [{"field": "scope", "message": "unknown scope"}])
    if f.scope == "mine":
        return [_Part(Task.assignee_id == person.id)]
    if f.scope == "claimable":
        return [_Part.of_ids(_offered_ids(session, person, [Task.assignee_id.is_(None), *filters]))]
    units = select(OrgUnit.id).where(visible_unit_filter(session, person.id, overseers_only=True))
    # Named ids let the database read (org_unit_id, state) index entries and stop at the count cap;
    # a subquery makes it collect every open task first.
    listed = list(session.scalars(units.limit(VISIBLE_UNITS_LISTED + 1)))
    not_mine = or_(Task.assignee_id.is_(None), Task.assignee_id != person.id)
    if not listed:
        # Overseeing no unit: what is mine, and what is offered to me (an empty literal
        # NOT IN is not portable, so this case is spelled out).
        return [
            _Part(Task.assignee_id == person.id),
            _Part.of_ids(_offered_ids(session, person, [not_mine, *filters])),
        ]
    visible: Any = _literal_ids(listed) if len(listed) <= VISIBLE_UNITS_LISTED else units
    elsewhere = Task.org_unit_id.not_in(visible)
    return [
        _Part(Task.org_unit_id.in_(visible)),
        _Part(and_(elsewhere, Task.assignee_id == person.id)),
        _Part.of_ids(_offered_ids(session, person, [elsewhere, not_mine, *filters])),
    ]


def _filters(f: TaskFilter) -> list[Any]:
    conditions: list[Any] = []
    if f.state != "any":
        conditions.append(Task.state == f.state)
    if f.process:
        conditions.append(Task.process_key == f.process)
    if f.stage:
        conditions.append(Task.stage == f.stage)
    if f.org_unit is not None:
        conditions.append(Task.org_unit_id == f.org_unit)
    if f.overdue is True:
        conditions += [Task.due_at.is_not(None), Task.due_at < clock.now()]
    elif f.overdue is False:
        conditions.append(or_(Task.due_at.is_(None), Task.due_at >= clock.now()))
    if f.q:
        like = f"%{f.q}%"
        conditions.append(or_(Task.name.ilike(like), Task.instructions.ilike(like)))
    return conditions


def _query(session: Session, person: Person, f: TaskFilter) -> Select[Any]:
    """The filter's tasks as one statement (``list_tasks`` counts and pages part by part)."""
    filters = _filters(f)
    return select(Task).where(or_(*[p.condition for p in _scope_parts(session, person, f, filters)]), *filters)


# Counting stops here: an administrator of a district with 100,000 open tasks is told
# "1,000 or more" (``total_exact`` false) instead of waiting for every row to be counted.
TOTAL_CAP = 1_000


def _count(session: Session, parts: list[_Part], filters: list[Any]) -> tuple[int, bool]:
    """(how many tasks, whether that is exact); at most ``TOTAL_CAP``.

    One small statement per part: as one UNION, PostgreSQL plans a parallel
    bitmap scan that collects every open task before it can stop at the cap.
    """
    found = 0
    for part in parts:
        if part.ids is not None:
            found += len(part.ids)
        else:
            capped = select(Task.id).where(part.condition, *filters).limit(TOTAL_CAP + 1 - found).subquery()
            found += session.scalar(select(func.count()).select_from(capped)) or 0
        if found > TOTAL_CAP:
            return TOTAL_CAP, False
    return found, True


_SORT_COLUMNS = {"id": Task.id, "due_at": Task.due_at, "priority": Task.priority}


def _with_neighbours(stmt: Select[Any]) -> Select[Any]:
    """What ``task_summary`` shows of a task's instance, unit and assignee, in the same query."""
    return stmt.options(
        joinedload(Task.instance).load_only(ProcessInstance.title),
        joinedload(Task.org_unit).load_only(OrgUnit.name, OrgUnit.code),
        joinedload(Task.assignee).load_only(Person.username, Person.display_name),
    )


def _page(session: Session, parts: list[_Part], filters: list[Any], f: TaskFilter) -> list[Task]:
    order = _order(_SORT_COLUMNS, f.sort)
    if len(parts) == 1:
        stmt = select(Task).where(parts[0].condition, *filters).order_by(*order).limit(f.limit).offset(f.offset)
        return list(session.scalars(_with_neighbours(stmt)))
    # The first offset+limit of each part, in order, hold the first offset+limit of them all.
    heads = [
        select(*_SORT_COLUMNS.values()).where(part.condition, *filters).order_by(*order)
        .limit(f.offset + f.limit).subquery()
        for part in parts
        if part.ids is None or part.ids
    ]
    union = union_all(*[select(*head.c) for head in heads]).subquery()
    stmt = select(union.c.id).order_by(*_order({k: union.c[k] for k in _SORT_COLUMNS}, f.sort))
    ids = list(session.scalars(stmt.limit(f.limit).offset(f.offset)))
    if not ids:
        return []
    by_id = {t.id: t for t in session.scalars(_with_neighbours(select(Task).where(Task.id.in_(ids))))}
    return [by_id[i] for i in ids if i in by_id]


def list_tasks(session: Session, person: Person, f: TaskFilter) -> dict[str, Any]:
    _order(_SORT_COLUMNS, f.sort)  # an unknown sort is refused before any query
    filters = _filters(f)
    parts = _scope_parts(session, person, f, filters)
    total, exact = _count(session, parts, filters)
    rows = _page(session, parts, filters, f) if total else []
    return {"items": [task_summary(t) for t in rows], "total": total, "total_exact": exact,
            "limit": f.limit, "offset": f.offset}


def counts(session: Session, person: Person) -> dict[str, int]:
    result = {}
    for key, f in (("mine", TaskFilter(scope="mine")), ("claimable", TaskFilter(scope="claimable")),
                   ("overdue", TaskFilter(scope="mine", overdue=True))):
        filters = _filters(f)
        result[key] = _count(session, _scope_parts(session, person, f, filters), filters)[0]
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
        select(OrgUnit.id).where(
            OrgUnit.id == task.org_unit_id, visible_unit_filter(session, person.id, overseers_only=True)
        )
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
        form_schema=form_schema(task.instance.definition, task.form),
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


_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A compiled validator per schema object (``form_schema`` hands out the same object each time)."""
    known = _VALIDATORS.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    if len(_VALIDATORS) > 1024:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def validate_form(schema: dict[str, Any] | None, data: dict[str, Any]) -> None:
    if schema is None:
        return
    validator = _validator(schema)
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


# -- confidential fields and completion hooks -------------------------------------------------

CONFIDENTIAL_FLAG = "x-confidential"

CompletionHook = Callable[[Session, Task, Person, dict[str, Any], dict[str, Any]], bool | None]
"""``hook(session, task, person, data, confidential)``, called after the form is validated
and before the engine sees ``data``. It may refuse by raising a ``DomainError`` (nothing
has changed yet). It returns True if it stored ``confidential`` (the form fields flagged
``"x-confidential": true``), which never reach the engine, the task row or the audit trail."""

_COMPLETION_HOOKS: list[CompletionHook] = []


def register_completion_hook(hook: CompletionHook) -> None:
    if hook not in _COMPLETION_HOOKS:
        _COMPLETION_HOOKS.append(hook)


def split_confidential(schema: dict[str, Any] | None, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data without confidential fields, the confidential fields) by the schema's top-level flags."""
    properties = (schema or {}).get("properties") or {}
    flagged = {name for name, prop in properties.items() if isinstance(prop, dict) and prop.get(CONFIDENTIAL_FLAG)}
    public = {k: v for k, v in data.items() if k not in flagged}
    confidential = {k: v for k, v in data.items() if k in flagged and v not in (None, "")}
    return public, confidential


def _run_completion_hooks(
    session: Session, task: Task, person: Person, data: dict[str, Any], confidential: dict[str, Any]
) -> None:
    stored = False
    for hook in _COMPLETION_HOOKS:
        stored = bool(hook(session, task, person, data, confidential)) or stored
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
    if task.state != OPEN:
        raise Conflict("this task is already done")
    if task.assignee_id is not None and task.assignee_id != person.id:
        raise Conflict(f"this task is held by {task.assignee.display_name if task.assignee else 'someone else'}")
    if task.assignee_id is None and not _is_candidate(session, person, task):
        raise Forbidden("you do not hold the role this task is offered to")
    definition = instance.definition
    schema = form_schema(definition, task.form)
    validate_form(schema, data)
    data, confidential = split_confidential(schema, data)

    if instance.state != "running":
        raise Conflict("the process has already ended")
    _run_completion_hooks(session, task, person, data, confidential)
    run = load_run(instance) if part is None else load_part_run(instance, part)
    # The open rows of what is stepped are the ready tasks of its saved state: the save
    # needs to read back only those others than this one (usually none).
    others_open = run.ready_task_ids() - {task.engine_task_id}
    try:
        run.complete(task.engine_task_id, data)
    except EngineError as exc:
        raise Conflict(f"the process does not wait for this task any more: {exc}") from exc
    _mark_completed(session, task, person, data)
    cancel_task_jobs(session, [task.id])
    extra: dict[str, Any] = {"confidential_fields": sorted(confidential)} if confidential else {}
    audit.record(session, "task.completed", actor=person, instance_id=instance.id, task_id=task.id,
                 element_id=task.element_id, data=data, **extra)
    if part is None:
        advance_and_save(session, instance, definition, run, person, open_tasks=others_open)
    else:
        advance_part_and_save(session, instance, definition, part, run, person, open_tasks=others_open)
    return {"task": task_summary(task), "instance": {"id": instance.id, "state": instance.state,
                                                     "stage": instance.stage}}


def instance_of(session: Session, task_id: int) -> ProcessInstance:
    return _get(session, task_id).instance
