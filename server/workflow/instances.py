"""The life of a process instance: start, advance, save, and its inbox rows.

Every function here runs inside the caller's transaction. Saving an instance
writes its engine state, its stage and its open tasks together, so the inbox
never disagrees with the engine.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, object_session, undefer
from sqlalchemy.orm.attributes import set_committed_value

from inbox.models import CANCELLED, OPEN, Task, TaskCandidate
from server import audit, clock
from server.access import can_see_unit
from server.calendar.due import DueExpressionError, resolve_due
from server.calendar.store import calendar_for
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import holds_any, parse_role_expression, resolve_candidates, unit_by_ref, unit_dict
from server.workflow.definitions import get_latest
from server.workflow.engine import EngineError, HumanTask, Run, Snapshot, lane_role_expression
from server.workflow.models import (
    PART_CANCELLED,
    PART_COMPLETED,
    PART_RUNNING,
    InstancePart,
    ProcessDefinition,
    ProcessInstance,
    TimerJob,
)


def start_instance(
    session: Session,
    *,
    process_key: str,
    org_unit: int | str,
    data: dict[str, Any],
    actor: Person | None,
    parent_id: int | None = None,
    title: str | None = None,
    start_timer_fired: bool = False,
) -> ProcessInstance:
    definition = get_latest(session, process_key)
    unit = unit_by_ref(session, org_unit)
    if actor is not None:
        check_may_start(session, actor, definition, unit)
    for start_hook in _START_HOOKS.get(process_key, ()):
        data = start_hook(session, definition=definition, unit=unit, data=dict(data), actor=actor,
                          parent_id=parent_id)
    initial = dict(data)
    initial.update(
        org_unit_id=unit.id,
        org_unit_name=unit.name,
        started_by=actor.username if actor else None,
    )
    run = Run.start(_spec_key(definition), lambda: definition.spec_json, initial,
                    calendar=lambda: calendar_for(session), fire_start_timers=start_timer_fired)
    now = clock.now()
    instance = ProcessInstance(
        definition_id=definition.id,
        org_unit_id=unit.id,
        parent_id=parent_id,
        state="running",
        title=title or data.get("title") or definition.name,
        started_by_id=actor.id if actor else None,
        started_at=now,
        updated_at=now,
        engine_state="{}",
    )
    session.add(instance)
    session.flush()
    audit.record(
        session, "instance.started", actor=actor, instance_id=instance.id,
        process_key=process_key, version=definition.version, org_unit=unit.code, data=data,
    )
    advance_and_save(session, instance, definition, run, actor)
    return instance


def check_may_start(session: Session, actor: Person, definition: ProcessDefinition, unit: OrgUnit) -> None:
    """A start event's ``starter`` roles count at the unit or any unit above it."""
    if definition.starter:
        roles = [term.role for term in parse_role_expression(definition.starter)]
        pairs = [(unit_id, role) for unit_id in unit.ancestor_ids() for role in roles]
        if not holds_any(session, actor.id, pairs):
            raise Forbidden(
                f"starting '{definition.key}' needs the role {definition.starter} in "
                f"{unit.name} or a unit above it"
            )
    elif not can_see_unit(session, actor.id, unit.id):
        raise Forbidden(f"you hold no position in {unit.name}")


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Load an instance for writing; other writers wait (PostgreSQL row lock).

    The main workflow's state is not read here (a step in a part never needs it);
    ``load_run`` reads it when it is.
    """
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    )
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    return instance


def _calendar_of(instance: ProcessInstance) -> Any:
    session = object_session(instance)
    return (lambda: calendar_for(session)) if session is not None else None


def load_run(instance: ProcessInstance) -> Run:
    """The instance's main workflow."""
    definition = instance.definition
    return Run.load(_spec_key(definition), lambda: definition.spec_json, instance.engine_state,
                    calendar=_calendar_of(instance))


def load_part(session: Session, part_id: int) -> InstancePart:
    part = session.scalar(
        select(InstancePart).options(undefer(InstancePart.engine_state)).where(InstancePart.id == part_id)
    )
    if part is None:
        raise NotFound(f"instance part {part_id} does not exist")
    return part


def load_part_run(instance: ProcessInstance, part: InstancePart) -> Run:
    """One detached body of the instance (the instance row must be locked by the caller)."""
    if part.state != PART_RUNNING:
        raise Conflict("this part of the process has already ended")
    definition = instance.definition
    return Run.load_part(_spec_key(definition), lambda: definition.spec_json, part.engine_task_id,
                         part.spec_name, part.engine_state, calendar=_calendar_of(instance))


def _spec_key(definition: ProcessDefinition) -> str:
    return f"{definition.id}:{definition.checksum}"


def _advance(run: Run) -> Snapshot:
    try:
        return run.advance()
    except EngineError as exc:
        where = f" at element '{exc.element_id}'" if exc.element_id else ""
        raise Invalid(
            f"the process cannot continue{where}: {exc}",
            [{"element_id": exc.element_id, "message": str(exc)}],
        ) from exc


def _write_instance(session: Session, instance: ProcessInstance, values: dict[str, Any]) -> None:
    """One version-checked UPDATE of the instance row; the loaded object takes the values."""
    old_version = instance.lock_version
    values = {**values, "updated_at": clock.now(), "lock_version": old_version + 1}
    # On the session's connection: nothing pending bears on this row (it goes with the next flush).
    result = session.connection().execute(
        _instance_update(frozenset(values)), {**values, "instance_id": instance.id, "old_version": old_version})
    if result.rowcount != 1:
        raise Conflict("the instance was changed by someone else; reload and try again")
    for key, value in values.items():
        # The row already holds these values: record them as loaded, not as changes, or the
        # next flush writes the whole engine state a second time.
        set_committed_value(instance, key, value)


@functools.cache
def _instance_update(columns: frozenset[str]) -> Any:
    """The version-checked UPDATE of these columns of an instance row, built once per set."""
    return (
        update(_INSTANCES)
        .where(_INSTANCES.c.id == bindparam("instance_id"), _INSTANCES.c.lock_version == bindparam("old_version"))
        .values({name: bindparam(name) for name in sorted(columns)})
    )


def advance_and_save(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    run: Run,
    actor: Person | None,
    *,
    open_tasks: set[str] | None = None,
) -> Snapshot:
    """Step the main workflow and save it with its stage, its open tasks and the parts it started.

    ``open_tasks``: the engine ids of the main workflow's open task rows, when the caller
    knows them (they are the ready tasks of the state it loaded); else they are read.
    """
    snapshot = _advance(run)
    main_stage = _earliest(definition, snapshot.open_stages)
    new_parts = _start_parts(session, instance, definition, snapshot, actor)
    if snapshot.cancelled_parts:
        _cancel_parts(session, instance, snapshot.cancelled_parts, actor)
    stage = _combined_stage(session, definition, instance, main_stage, running_parts=bool(snapshot.parts_running))
    if stage is None and not snapshot.open_stages:
        stage = snapshot.last_stage
    values: dict[str, Any] = {
        "engine_state": snapshot.state,
        "stage": stage,
        "stage_label": _label(definition, stage),
        "main_stage": main_stage,
    }
    if snapshot.completed and instance.state != "completed":
        values.update(state="completed", completed_at=clock.now())
    _write_instance(session, instance, values)
    _sync_tasks(session, instance, definition, snapshot, actor, None, open_tasks)
    _create_tasks(session, instance, definition,
                  [(human, part) for part, part_snapshot in new_parts for human in part_snapshot.human_tasks],
                  clock.now())
    if snapshot.completed:
        audit.record(session, "instance.completed", actor=actor, instance_id=instance.id)
    on_saved(session, instance, snapshot)
    return snapshot


def advance_part_and_save(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    part: InstancePart,
    run: Run,
    actor: Person | None,
    *,
    open_tasks: set[str] | None = None,
) -> Snapshot:
    """Step one detached body and save it; when it ends, its main workflow takes its result and
    is stepped and saved too (``advance_and_save``), all in the caller's transaction."""
    snapshot = _advance(run)
    part_stage = None if snapshot.completed else _earliest(definition, snapshot.open_stages)
    changed = part_stage != part.stage
    _write_part(session, part, state=PART_COMPLETED if snapshot.completed else PART_RUNNING, stage=part_stage,
                engine_state=snapshot.state)
    if snapshot.completed:
        _sync_tasks(session, instance, definition, snapshot, actor, part, open_tasks)
        on_saved(session, instance, snapshot)
        main = load_run(instance)
        try:
            main.finish_part(part.engine_task_id, snapshot.result or {})
        except EngineError as exc:
            raise Conflict(f"the process cannot take back this part: {exc}") from exc
        advance_and_save(session, instance, definition, main, actor)
        return snapshot
    values: dict[str, Any] = {}
    if changed:
        stage = _combined_stage(session, definition, instance, instance.main_stage, running_parts=True)
        values = {"stage": stage, "stage_label": _label(definition, stage)}
    _write_instance(session, instance, values)
    _sync_tasks(session, instance, definition, snapshot, actor, part, open_tasks)
    on_saved(session, instance, snapshot)
    return snapshot


_PARTS = cast(Table, InstancePart.__table__)
_WRITE_PART = (
    update(_PARTS).where(_PARTS.c.id == bindparam("part_id"))
    .values(state=bindparam("state"), stage=bindparam("stage"), engine_state=bindparam("engine_state"),
            updated_at=bindparam("now"))
)


def _write_part(session: Session, part: InstancePart, **values: Any) -> None:
    """One UPDATE of a part's row (its instance row is locked); the object follows."""
    values["updated_at"] = clock.now()
    session.connection().execute(_WRITE_PART, {"part_id": part.id, "now": values["updated_at"],
                                               **{k: values[k] for k in ("state", "stage", "engine_state")}})
    for key, value in values.items():
        set_committed_value(part, key, value)


def _start_parts(session: Session, instance: ProcessInstance, definition: ProcessDefinition,
                 snapshot: Snapshot, actor: Person | None) -> list[tuple[InstancePart, Snapshot]]:
    """A row for every part the main step started (their tasks are written with the main's)."""
    if not snapshot.new_parts:
        return []
    now = clock.now()
    rows = []
    for part_snapshot in snapshot.new_parts:
        assert part_snapshot.part is not None and part_snapshot.spec_name is not None
        row = InstancePart(
            instance_id=instance.id, engine_task_id=part_snapshot.part, spec_name=part_snapshot.spec_name,
            state=PART_RUNNING, stage=_earliest(definition, part_snapshot.open_stages),
            engine_state=part_snapshot.state, created_at=now, updated_at=now,
        )
        session.add(row)
        rows.append((row, part_snapshot))
    session.flush()
    return rows


def _cancel_parts(session: Session, instance: ProcessInstance, engine_task_ids: list[str],
                  actor: Person | None) -> None:
    """The main workflow withdrew these bodies (a boundary event, a completion condition)."""
    from server.workflow.jobs import cancel_task_jobs

    parts = session.scalars(
        select(InstancePart).where(InstancePart.instance_id == instance.id,
                                   InstancePart.engine_task_id.in_(engine_task_ids),
                                   InstancePart.state == PART_RUNNING)
    ).all()
    if not parts:
        return
    now = clock.now()
    part_ids = [p.id for p in parts]
    for part in parts:
        part.state = PART_CANCELLED
        part.stage = None
        part.updated_at = now
    tasks = session.scalars(select(Task).where(Task.part_id.in_(part_ids), Task.state == OPEN)).all()
    for task in tasks:
        task.state = CANCELLED
        task.completed_at = now
        audit.record(session, "task.cancelled", actor=actor, instance_id=instance.id, task_id=task.id,
                     element_id=task.element_id)
    cancel_task_jobs(session, [t.id for t in tasks])
    session.flush()


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    """Hook for what must follow every save (timers, parent roll-ups); extended elsewhere.

    A save of one detached body alone passes that body's snapshot (``snapshot.part`` set);
    a hook that looks at the whole instance leaves those alone.
    """
    for hook in _SAVE_HOOKS:
        hook(session, instance, snapshot)


_SAVE_HOOKS: list[Any] = []


def register_save_hook(hook: Any) -> None:
    if hook not in _SAVE_HOOKS:
        _SAVE_HOOKS.append(hook)


_START_HOOKS: dict[str, list[Any]] = {}


def register_start_hook(process_key: str, hook: Any) -> None:
    """Run ``hook`` before an instance of ``process_key`` starts, whoever starts it.

    ``hook(session, definition=, unit=, data=, actor=, parent_id=)`` returns the data
    the instance starts with (it may add server-side values such as the branch's
    members), or raises ``Invalid``/``Forbidden`` to refuse the start.
    """
    hooks = _START_HOOKS.setdefault(process_key, [])
    if hook not in hooks:
        hooks.append(hook)


def _order(definition: ProcessDefinition) -> dict[str, int]:
    return {s["code"]: i for i, s in enumerate(definition.stages)}


def _earliest(definition: ProcessDefinition, codes: Any) -> str | None:
    """The earliest of some stage codes in the process's order (unknown codes last)."""
    present = [c for c in codes if c]
    if not present:
        return None
    order = _order(definition)
    return min(present, key=lambda c: order.get(c, len(order)))


def _label(definition: ProcessDefinition, code: str | None) -> str | None:
    if not code:
        return None
    return next((s["label"] for s in definition.stages if s["code"] == code), None)


def _combined_stage(session: Session, definition: ProcessDefinition, instance: ProcessInstance,
                    main_stage: str | None, *, running_parts: bool) -> str | None:
    """The instance's stage: the earliest open in its main workflow or in any running part."""
    if not running_parts:
        return main_stage
    part_stages = session.scalars(
        select(InstancePart.stage).distinct().where(
            InstancePart.instance_id == instance.id, InstancePart.state == PART_RUNNING,
            InstancePart.stage.is_not(None))
    ).all()
    return _earliest(definition, [main_stage, *part_stages])


def _sync_tasks(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    snapshot: Snapshot,
    actor: Person | None,
    part: InstancePart | None,
    open_tasks: set[str] | None = None,
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
        from server.workflow.jobs import cancel_task_jobs

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
    _create_tasks(session, instance, definition, fresh, now)


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


_INSTANCES = cast(Table, ProcessInstance.__table__)
_TASKS = cast(Table, Task.__table__)
_INSERT_TASKS = insert(_TASKS).returning(_TASKS.c.id, sort_by_parameter_order=True)
_INSERT_CANDIDATES = insert(cast(Table, TaskCandidate.__table__))
_INSERT_JOBS = insert(cast(Table, TimerJob.__table__))


def _create_tasks(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    fresh: list[tuple[HumanTask, InstancePart | None]],
    now: Any,
) -> None:
    """Inbox rows for tasks that became ready, with who may claim them, their due-date jobs
    and their audit rows: one statement per table however many there are (a branch's
    mobilisation opens fifty)."""
    if not fresh:
        return
    from server.workflow.jobs import due_job_row

    unit = instance.org_unit
    labels = {s["code"]: s["label"] for s in definition.stages}
    wanted = {str(_lookup(h.data, h.properties["assignee"]) or "") for h, _ in fresh if h.properties.get("assignee")}
    people: dict[str, int] = {}
    if wanted:
        people = {username: person_id for username, person_id in session.execute(
            select(Person.username, Person.id).where(Person.username.in_(wanted)))}
    rows, offers, assignees = [], [], []
    for human, part in fresh:
        props = human.properties
        stage = props.get("stage") or instance.stage
        role_expr = props.get("role") or lane_role_expression(human.lane)
        row: dict[str, Any] = {
            "engine_task_id": human.engine_task_id, "instance_id": instance.id,
            "part_id": part.id if part is not None else None, "process_key": definition.key,
            "element_id": human.element_id, "name": human.name, "instructions": human.documentation,
            "stage": stage, "stage_label": labels.get(stage) if stage else None, "form": props.get("form"),
            "org_unit_id": unit.id, "role": role_expr, "priority": int(props.get("priority", "0") or 0),
            "state": OPEN, "data": _public_data(human.data), "created_at": now, "claimed_at": None,
            "assignee_id": None, "bound_to_id": None, "due_at": None, "due_estimated": False, "lock_version": 0,
        }
        due = props.get("due")
        if due:
            try:
                result = resolve_due(due, ready_at=now, calendar=calendar_for(session), data=human.data)
            except DueExpressionError as exc:
                raise Invalid(
                    f"task '{human.element_id}': {exc}", [{"element_id": human.element_id, "message": str(exc)}]
                ) from exc
            row.update(due_at=result.due_at, due_estimated=result.estimated)
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
        offers.append(resolve_candidates(session, unit, role_expr) if role_expr and not assignee_var else [])
        assignees.append(username)
        rows.append(row)
    session.flush()  # the rows these refer to (a part just started, a ledger row) exist first
    connection = session.connection()
    ids = connection.execute(_INSERT_TASKS, rows).scalars().all()
    candidates = [{"task_id": task_id, "org_unit_id": unit_id, "role": role}
                  for task_id, pairs in zip(ids, offers, strict=True) for unit_id, role in pairs]
    if candidates:
        connection.execute(_INSERT_CANDIDATES, candidates)
    jobs = [due_job_row(task_id, row) for task_id, row in zip(ids, rows, strict=True) if row["due_at"] is not None]
    if jobs:
        connection.execute(_INSERT_JOBS, jobs)
    audit.record_all(session, [
        audit.event("task.created", actor=None, instance_id=instance.id, task_id=task_id,
                    element_id=row["element_id"], assignee=username)
        for task_id, row, username in zip(ids, rows, assignees, strict=True)
    ])


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def get_visible_instance(session: Session, instance_id: int, viewer: Person) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    overseer = can_see_unit(session, viewer.id, instance.org_unit_id, overseers_only=True)
    if not overseer and instance.started_by_id != viewer.id and not _took_part(session, instance.id, viewer.id):
        raise Forbidden("you hold no position in this instance's organisation")
    return instance


def _took_part(session: Session, instance_id: int, person_id: int) -> bool:
    return session.scalar(
        select(Task.id).where(
            Task.instance_id == instance_id,
            (Task.assignee_id == person_id) | (Task.completed_by_id == person_id),
        ).limit(1)
    ) is not None


def instance_dict(session: Session, instance: ProcessInstance, *, full: bool = False) -> dict[str, Any]:
    definition = instance.definition
    result: dict[str, Any] = {
        "id": instance.id,
        "process_key": definition.key,
        "version": definition.version,
        "title": instance.title,
        "org_unit": unit_dict(instance.org_unit),
        "parent_id": instance.parent_id,
        "state": instance.state,
        "stage": instance.stage,
        "stage_label": instance.stage_label,
        "stages": definition.stages,
        "started_by": instance.started_by.username if instance.started_by else None,
        "started_at": instance.started_at.isoformat(),
        "updated_at": instance.updated_at.isoformat(),
        "completed_at": instance.completed_at.isoformat() if instance.completed_at else None,
    }
    if full:
        from inbox.service import task_summary  # the inbox formats its own rows

        open_tasks = session.scalars(
            select(Task).where(Task.instance_id == instance.id, Task.state == OPEN).order_by(Task.id)
        ).all()
        result["open_tasks"] = [task_summary(t) for t in open_tasks]
        result["history"] = audit.history(session, instance.id)
    return result
