"""Saving a step: the engine state, the stage, the parts a step started or withdrew, the inbox.

Every function here runs inside the caller's transaction. Saving an instance writes its
engine state, its stage and its open tasks together (the inbox through
``registry.tasks``), then runs the save hooks of its process family, so ledgers, timers
and the inbox never disagree with the engine.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from server import audit, clock
from server.errors import Conflict, StepFailed
from server.org.models import Person
from server.workflow.engine import EngineError, Run, Snapshot
from server.workflow.hooks import registry
from server.workflow.models import (
    PART_CANCELLED,
    PART_COMPLETED,
    PART_RUNNING,
    InstancePart,
    ProcessDefinition,
    ProcessInstance,
)
from server.workflow.runs import load_run


def _advance(run: Run, instance: ProcessInstance) -> Snapshot:
    try:
        return run.advance()
    except EngineError as exc:
        raise step_failed(exc, instance) from exc


def step_failed(exc: EngineError, instance: ProcessInstance) -> StepFailed:
    """The step's error, naming the element, for the caller and for the incident it leaves."""
    where = f" at element '{exc.element_id}'" if exc.element_id else ""
    return StepFailed(
        f"the process cannot continue{where}: {exc}",
        [{"element_id": exc.element_id, "message": str(exc), "error_class": exc.error_class}],
        instance_id=instance.id, element_id=exc.element_id, error_class=exc.error_class or "EngineError",
        reason=str(exc),
    )


def write_instance(session: Session, instance: ProcessInstance, values: dict[str, Any]) -> None:
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


_INSTANCES = cast(Table, ProcessInstance.__table__)


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
    snapshot = _advance(run, instance)
    main_stage = _earliest(definition, snapshot.open_stages)
    new_parts = _start_parts(session, instance, definition, snapshot, actor)
    if snapshot.cancelled_parts:
        cancel_parts(session, instance, snapshot.cancelled_parts, actor)
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
    write_instance(session, instance, values)
    registry.tasks.sync(session, instance, definition, snapshot, actor, None, open_tasks)
    registry.tasks.open_tasks(session, instance, definition,
                              [(human, part) for part, started in new_parts for human in started.human_tasks])
    if snapshot.completed:
        audit.record(session, "instance.completed", actor=actor, instance_id=instance.id)
    on_saved(session, instance, snapshot)
    return snapshot


def first_save_values(definition: ProcessDefinition, snapshot: Snapshot) -> dict[str, Any]:
    """The columns ``advance_and_save`` writes for a new instance whose first step started no part
    and did not end (a stamped start, ``server.workflow.stamping``), as its first save: version 1."""
    main_stage = _earliest(definition, snapshot.open_stages)
    stage = main_stage if main_stage is not None or snapshot.open_stages else snapshot.last_stage
    return {"engine_state": snapshot.state, "stage": stage, "stage_label": _label(definition, stage),
            "main_stage": main_stage, "lock_version": 1}


def save_started(session: Session, definition: ProcessDefinition,
                 started: list[tuple[ProcessInstance, Snapshot]]) -> None:
    """The rest of the first save of instances inserted with ``first_save_values``: their task rows
    (in one statement per table for all of them), then each one's save hooks."""
    registry.tasks.open_many(session, definition, started)
    for instance, snapshot in started:
        on_saved(session, instance, snapshot)


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
    snapshot = _advance(run, instance)
    part_stage = None if snapshot.completed else _earliest(definition, snapshot.open_stages)
    changed = part_stage != part.stage
    _write_part(session, part, state=PART_COMPLETED if snapshot.completed else PART_RUNNING, stage=part_stage,
                engine_state=snapshot.state)
    if snapshot.completed:
        registry.tasks.sync(session, instance, definition, snapshot, actor, part, open_tasks)
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
    write_instance(session, instance, values)
    registry.tasks.sync(session, instance, definition, snapshot, actor, part, open_tasks)
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


def cancel_parts(session: Session, instance: ProcessInstance, engine_task_ids: list[str],
                  actor: Person | None) -> None:
    """The main workflow withdrew these bodies (a boundary event, a completion condition)."""
    parts = session.scalars(
        select(InstancePart).where(InstancePart.instance_id == instance.id,
                                   InstancePart.engine_task_id.in_(engine_task_ids),
                                   InstancePart.state == PART_RUNNING)
    ).all()
    if not parts:
        return
    now = clock.now()
    for part in parts:
        part.state = PART_CANCELLED
        part.stage = None
        part.updated_at = now
    registry.tasks.withdraw_parts(session, instance, [p.id for p in parts], actor)
    session.flush()


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    """Run the save hooks of every process and of this one's family (timers, ledgers, roll-ups).

    A save of one detached body alone passes that body's snapshot (``snapshot.part`` set);
    a hook that looks at the whole instance leaves those alone.
    """
    for hook in registry.save_hooks(instance.definition.key):
        hook(session, instance, snapshot)


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
