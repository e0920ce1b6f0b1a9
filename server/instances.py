"""The life of a process instance: start, advance, save, and its inbox rows.

Every function here runs inside the caller's transaction. Saving an instance
writes its engine state, its stage and its open tasks together, so the inbox
never disagrees with the engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from inbox.models import CANCELLED, OPEN, Task, TaskCandidate
from server import audit, clock
from server.calendar_store import calendar_for
from server.definitions import get_latest
from server.due import DueExpressionError, resolve_due
from server.engine import EngineError, HumanTask, Run, Snapshot, lane_role_expression
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.models import OrgUnit, Person, ProcessDefinition, ProcessInstance
from server.org import (
    can_see_unit,
    holds_any,
    parse_role_expression,
    resolve_candidates,
    unit_by_ref,
    unit_dict,
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
    """Load an instance for writing; other writers wait (PostgreSQL row lock)."""
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    )
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    return instance


def load_run(instance: ProcessInstance) -> Run:
    definition = instance.definition
    session = object_session(instance)
    calendar = (lambda: calendar_for(session)) if session is not None else None
    return Run.load(_spec_key(definition), lambda: definition.spec_json, instance.engine_state,
                    calendar=calendar)


def _spec_key(definition: ProcessDefinition) -> str:
    return f"{definition.id}:{definition.checksum}"


def advance_and_save(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    run: Run,
    actor: Person | None,
) -> Snapshot:
    try:
        snapshot = run.advance()
    except EngineError as exc:
        where = f" at element '{exc.element_id}'" if exc.element_id else ""
        raise Invalid(
            f"the process cannot continue{where}: {exc}",
            [{"element_id": exc.element_id, "message": str(exc)}],
        ) from exc
    now = clock.now()
    old_version = instance.lock_version
    stage, stage_label = _current_stage(definition, snapshot)
    values: dict[str, Any] = {
        "engine_state": snapshot.state,
        "stage": stage,
        "stage_label": stage_label,
        "updated_at": now,
        "lock_version": old_version + 1,
    }
    if snapshot.completed and instance.state != "completed":
        values.update(state="completed", completed_at=now)
    result = session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance.id, ProcessInstance.lock_version == old_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the instance was changed by someone else; reload and try again")
    for key, value in values.items():
        # The row already holds these values: record them as loaded, not as changes, or the
        # next flush writes the whole engine state a second time.
        set_committed_value(instance, key, value)
    _sync_tasks(session, instance, definition, snapshot, actor)
    if snapshot.completed:
        audit.record(session, "instance.completed", actor=actor, instance_id=instance.id)
    on_saved(session, instance, snapshot)
    return snapshot


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    """Hook for what must follow every save (timers, parent roll-ups); extended elsewhere."""
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


def _current_stage(definition: ProcessDefinition, snapshot: Snapshot) -> tuple[str | None, str | None]:
    order = [s["code"] for s in definition.stages]
    labels = {s["code"]: s["label"] for s in definition.stages}
    code = None
    if snapshot.open_stages:
        code = min(snapshot.open_stages, key=lambda c: order.index(c) if c in order else len(order))
    elif snapshot.last_stage:
        code = snapshot.last_stage
    return code, labels.get(code) if code else None


def _sync_tasks(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    snapshot: Snapshot,
    actor: Person | None,
) -> None:
    existing = {
        t.engine_task_id: t
        for t in session.scalars(select(Task).where(Task.instance_id == instance.id, Task.state == OPEN))
    }
    ready_ids = {h.engine_task_id for h in snapshot.human_tasks}
    now = clock.now()
    for engine_id, task in existing.items():
        if engine_id not in ready_ids:
            task.state = CANCELLED
            task.completed_at = now
            audit.record(session, "task.cancelled", actor=actor, instance_id=instance.id, task_id=task.id,
                         element_id=task.element_id)
    unit = instance.org_unit
    for human in snapshot.human_tasks:
        if human.engine_task_id in existing:
            task = existing[human.engine_task_id]
            data = _public_data(human.data)
            if task.data != data:
                task.data = data
            continue
        _create_task(session, instance, definition, unit, human, now)


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


def _create_task(
    session: Session,
    instance: ProcessInstance,
    definition: ProcessDefinition,
    unit: OrgUnit,
    human: HumanTask,
    now: Any,
) -> Task:
    props = human.properties
    stage = props.get("stage") or instance.stage
    labels = {s["code"]: s["label"] for s in definition.stages}
    role_expr = props.get("role") or lane_role_expression(human.lane)
    task = Task(
        engine_task_id=human.engine_task_id,
        instance_id=instance.id,
        process_key=definition.key,
        element_id=human.element_id,
        name=human.name,
        instructions=human.documentation,
        stage=stage,
        stage_label=labels.get(stage) if stage else None,
        form=props.get("form"),
        org_unit_id=unit.id,
        role=role_expr,
        priority=int(props.get("priority", "0") or 0),
        state=OPEN,
        data=_public_data(human.data),
        created_at=now,
    )
    due = props.get("due")
    if due:
        try:
            result = resolve_due(due, ready_at=now, calendar=calendar_for(session), data=human.data)
            task.due_at, task.due_estimated = result.due_at, result.estimated
        except DueExpressionError as exc:
            raise Invalid(
                f"task '{human.element_id}': {exc}", [{"element_id": human.element_id, "message": str(exc)}]
            ) from exc
    assignee_var = props.get("assignee")
    if assignee_var:
        username = _lookup(human.data, assignee_var)
        person = session.scalar(select(Person).where(Person.username == str(username))) if username else None
        if person is None:
            raise Invalid(
                f"task '{human.element_id}': assignee variable '{assignee_var}' holds "
                f"'{username}', who is not a known user",
                [{"element_id": human.element_id, "message": f"unknown assignee '{username}'"}],
            )
        task.assignee_id = person.id
        task.bound_to_id = person.id
        task.claimed_at = now
    session.add(task)
    session.flush()
    if role_expr and task.bound_to_id is None:  # a bound task is offered to nobody else
        for unit_id, role in resolve_candidates(session, unit, role_expr):
            session.add(TaskCandidate(task_id=task.id, org_unit_id=unit_id, role=role))
    audit.record(session, "task.created", actor=None, instance_id=instance.id, task_id=task.id,
                 element_id=human.element_id, assignee=_lookup(human.data, assignee_var) if assignee_var else None)
    return task


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
