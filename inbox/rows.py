"""The inbox's rows, kept in step with the engine: one per ready human task, and who may claim it.

The workflow calls these (through ``registry.tasks``, installed by ``server.bootstrap``)
in the transaction that saves the engine state, so the inbox is always a plain SQL
query and never reads engine state. A task's due date is a ``timer_job`` row written
with it and dropped when it is completed or withdrawn.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from inbox.models import CANCELLED, OPEN, Task, TaskCandidate
from inbox.summaries import card, card_people, process_fields
from server import audit, clock
from server.calendar.due import DueExpressionError, resolve_due
from server.calendar.store import calendar_for
from server.errors import Invalid
from server.org.models import Person
from server.org.tree import anyone_holds, resolve_candidates
from server.workflow.definitions import form_schema
from server.workflow.engine import HumanTask, Snapshot, lane_role_expression
from server.workflow.jobs import cancel_task_jobs, close_job_row, due_job_row
from server.workflow.models import InstancePart, ProcessDefinition, ProcessInstance, TimerJob


def sync(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    snapshot: Snapshot,
    actor: Person | None,
    part: InstancePart | None,
    open_tasks: set[str] | None,
) -> None:
    """Make the open task rows of the main workflow, or of one part, match its ready tasks.

    ``open_tasks`` names the rows open before the step, when known (none for a new part).
    """
    existing: dict[str, Task] = {}
    if open_tasks is None or open_tasks:
        scope = Task.part_id.is_(None) if part is None else Task.part_id == part.id
        stmt = select(Task).where(Task.instance_id == instance.id, Task.state == OPEN, scope)
        if open_tasks:
            stmt = stmt.where(Task.engine_task_id.in_(open_tasks))
        existing = {t.engine_task_id: t for t in session.scalars(stmt)}
    ready_ids = {h.engine_task_id for h in snapshot.human_tasks}
    now = clock.now()
    withdrawn = []
    for engine_id, task in existing.items():
        if engine_id not in ready_ids:
            task.state = CANCELLED
            task.completed_at = now
            withdrawn.append(task.id)
            audit.record(session, "task.cancelled", actor=actor, instance_id=instance.id, task_id=task.id,
                         element_id=task.element_id)
    if withdrawn:
        cancel_task_jobs(session, withdrawn)
    fresh = []
    for human in snapshot.human_tasks:
        if human.engine_task_id in existing:
            task = existing[human.engine_task_id]
            data = _public_data(human.data)
            if task.data != data:
                task.data = data
            continue
        fresh.append((human, part))
    _insert(session, instance, definition, fresh, now)


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


_TASKS = cast(Table, Task.__table__)


_INSERT_TASKS = insert(_TASKS).returning(_TASKS.c.id, sort_by_parameter_order=True)


_INSERT_CANDIDATES = insert(cast(Table, TaskCandidate.__table__))


_INSERT_JOBS = insert(cast(Table, TimerJob.__table__))


def _insert(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    fresh: list[tuple[HumanTask, InstancePart | None]],
    now: Any,
) -> None:
    """Inbox rows for tasks that became ready, with who may claim them, their due-date jobs
    and their audit rows: one statement per table however many there are (a branch's
    mobilisation opens fifty)."""
    if fresh:
        _write(session, [_build(session, instance, definition, fresh, now)])


def open_many(session: Session, definition: ProcessDefinition,
              started: list[tuple[ProcessInstance, Snapshot]]) -> None:
    """Rows for the ready tasks of instances just started together, as ``sync`` writes them for
    one new instance, in one statement per table for all of them (a campaign launch's batch)."""
    now = clock.now()
    built = [_build(session, instance, definition, [(h, None) for h in snapshot.human_tasks], now)
             for instance, snapshot in started if snapshot.human_tasks]
    if built:
        _write(session, built)


_Built = tuple[ProcessInstance, list[dict[str, Any]], list[Any], list[Any], list[Any]]


def _build(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    fresh: list[tuple[HumanTask, InstancePart | None]],
    now: Any,
) -> _Built:
    """The rows of ``_insert`` for one instance, not yet written: (instance, task rows, their
    candidates, their closing times, their assignees' usernames)."""
    unit = instance.org_unit
    labels = {s["code"]: s["label"] for s in definition.stages}
    labels_en = {s["code"]: s.get("label_en") for s in definition.stages}
    wanted = {str(_lookup(h.data, h.properties["assignee"]) or "") for h, _ in fresh if h.properties.get("assignee")}
    schemas = {h.properties.get("form"): form_schema(definition, h.properties.get("form")) for h, _ in fresh}
    subjects = {u for h, _ in fresh if (u := card_people(schemas[h.properties.get("form")], h.data))}
    people: dict[str, int] = {}
    names: dict[str, str] = {}
    if wanted or subjects:
        for known, known_id, name in session.execute(select(Person.username, Person.id, Person.display_name)
                                                     .where(Person.username.in_(wanted | subjects))):
            people[known], names[known] = known_id, name
    starter = instance.started_by.display_name if instance.started_by else None
    others = process_fields(definition) if any(schemas.values()) else {}
    rows, offers, assignees = [], [], []
    closes: list[Any] = []
    for human, part in fresh:
        props = human.properties
        stage = props.get("stage") or instance.stage
        role_expr = props.get("role") or lane_role_expression(human.lane)
        offer = resolve_candidates(session, unit, role_expr) if role_expr else []
        if props.get("fallback_role") and not anyone_holds(session, offer):
            # Nobody holds the role in this unit (a branch without a contact person): the task goes
            # to the fallback instead of waiting for no one (docs/bpmn-authoring.md).
            role_expr = props["fallback_role"]
            offer = resolve_candidates(session, unit, role_expr)
        row: dict[str, Any] = {
            "engine_task_id": human.engine_task_id, "instance_id": instance.id,
            "part_id": part.id if part is not None else None, "process_key": definition.key,
            "element_id": human.element_id, "name": human.name, "instructions": human.documentation,
            "stage": stage, "stage_label": labels.get(stage) if stage else None, "form": props.get("form"),
            "org_unit_id": unit.id, "role": role_expr, "priority": int(props.get("priority", "0") or 0),
            "state": OPEN, "data": _public_data(human.data), "created_at": now, "claimed_at": None,
            "assignee_id": None, "bound_to_id": None, "due_at": None, "due_estimated": False, "lock_version": 0,
        }
        row["subject"], row["excerpt"] = card(schemas[props.get("form")], human.data, starter, names, others)
        english = {"name": props.get("name_en"), "instructions": props.get("documentation_en"),
                   "stage_label": labels_en.get(stage) if stage else None}
        row["labels_en"] = {k: v for k, v in english.items() if v} or None
        due = props.get("due")
        if due:
            result = _moment(session, human, due, now)
            row.update(due_at=result.due_at, due_estimated=result.estimated)
        closes.append(_moment(session, human, props["closes_at"], now).due_at if props.get("closes_at") else None)
        assignee_var = props.get("assignee")
        username = _lookup(human.data, assignee_var) if assignee_var else None
        if assignee_var:
            person_id = people.get(str(username)) if username else None
            if person_id is None:
                raise Invalid(
                    f"task '{human.element_id}': assignee variable '{assignee_var}' holds "
                    f"'{username}', who is not a known user",
                    [{"element_id": human.element_id, "message": f"unknown assignee '{username}'"}],
                )
            row.update(assignee_id=person_id, bound_to_id=person_id, claimed_at=now)
        # A bound task is offered to nobody else.
        offers.append(offer if role_expr and not assignee_var else [])
        assignees.append(username)
        rows.append(row)
    return instance, rows, offers, closes, assignees


def _write(session: Session, built: list[_Built]) -> None:
    """Write what ``_build`` made, for one instance or many: one statement per table."""
    session.flush()  # the rows these refer to (a part just started, a ledger row) exist first
    connection = session.connection()
    rows = [row for _, instance_rows, _, _, _ in built for row in instance_rows]
    ids = connection.execute(_INSERT_TASKS, rows).scalars().all()
    offers = [offer for _, _, instance_offers, _, _ in built for offer in instance_offers]
    closes = [at for _, _, _, instance_closes, _ in built for at in instance_closes]
    assignees = [username for *_, instance_assignees in built for username in instance_assignees]
    candidates = [{"task_id": task_id, "org_unit_id": unit_id, "role": role}
                  for task_id, pairs in zip(ids, offers, strict=True) for unit_id, role in pairs]
    if candidates:
        connection.execute(_INSERT_CANDIDATES, candidates)
    jobs = [due_job_row(task_id, row) for task_id, row in zip(ids, rows, strict=True) if row["due_at"] is not None]
    jobs += [close_job_row(task_id, row, at) for task_id, row, at in zip(ids, rows, closes, strict=True) if at]
    if jobs:
        connection.execute(_INSERT_JOBS, jobs)
    audit.record_all(session, [
        audit.event("task.created", actor=None, instance_id=row["instance_id"], task_id=task_id,
                    element_id=row["element_id"], assignee=username)
        for task_id, row, username in zip(ids, rows, assignees, strict=True)
    ])


def _moment(session: Session, human: HumanTask, expression: str, now: Any) -> Any:
    """A ``due`` or ``closes_at`` expression of a task that became ready ``now``."""
    try:
        return resolve_due(expression, ready_at=now, calendar=calendar_for(session), data=human.data)
    except DueExpressionError as exc:
        raise Invalid(
            f"task '{human.element_id}': {exc}", [{"element_id": human.element_id, "message": str(exc)}]
        ) from exc


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def open_tasks(session: Session, instance: ProcessInstance, definition: ProcessDefinition,
               fresh: list[tuple[HumanTask, InstancePart | None]]) -> None:
    """Rows for tasks that became ready in parts a step just started."""
    _insert(session, instance, definition, fresh, clock.now())


def withdraw_parts(session: Session, instance: ProcessInstance, part_ids: list[int], actor: Person | None) -> None:
    """The main workflow withdrew these parts: their open tasks are cancelled, audited, their due dates dropped."""
    now = clock.now()
    tasks = session.scalars(select(Task).where(Task.part_id.in_(part_ids), Task.state == OPEN)).all()
    for task in tasks:
        task.state = CANCELLED
        task.completed_at = now
        audit.record(session, "task.cancelled", actor=actor, instance_id=instance.id, task_id=task.id,
                     element_id=task.element_id)
    cancel_task_jobs(session, [t.id for t in tasks])



def close_all(session: Session, instance: ProcessInstance, actor: Person | None) -> None:
    """The instance is being cancelled: every open task of it is cancelled (audited), its jobs dropped."""
    now = clock.now()
    tasks = session.scalars(select(Task).where(Task.instance_id == instance.id, Task.state == OPEN)).all()
    for task in tasks:
        task.state = CANCELLED
        task.completed_at = now
    audit.record_all(session, [audit.event("task.cancelled", actor=actor, instance_id=instance.id, task_id=t.id,
                                           element_id=t.element_id) for t in tasks])
    cancel_task_jobs(session, [t.id for t in tasks])


def recompute_candidates(session: Session, unit_ids: list[int], actor: Person | None) -> int:
    """The units moved in the tree: their open role tasks get the candidates their role expressions
    name now (``secretary@parent`` names the new parent); the number of tasks whose candidates changed."""
    if not unit_ids:
        return 0
    tasks = session.scalars(select(Task).where(Task.org_unit_id.in_(unit_ids), Task.state == OPEN,
                                               Task.bound_to_id.is_(None), Task.role.is_not(None))).all()
    changed = 0
    for task in tasks:
        assert task.role is not None
        try:
            pairs = sorted(set(resolve_candidates(session, task.org_unit, task.role)))
        except ValueError:
            continue  # an expression the deployment accepted once; repair_candidates reports it
        if sorted({(c.org_unit_id, c.role) for c in task.candidates}) == pairs:
            continue
        task.candidates = [TaskCandidate(org_unit_id=unit_id, role=role) for unit_id, role in pairs]
        changed += 1
        audit.record(session, "task.candidates_changed", actor=actor, instance_id=task.instance_id, task_id=task.id,
                     candidates=[{"org_unit_id": u, "role": r} for u, r in pairs])
    return changed
