"""Starting a process instance: who may, what its family adds, and its first step."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.access import can_see_unit
from server.calendar.store import calendar_for
from server.errors import Forbidden, Invalid
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, holds_any, parse_role_expression, unit_by_ref
from server.workflow.definitions import form_schema, get_latest
from server.workflow.engine import Run
from server.workflow.forms import validate_form
from server.workflow.hooks import registry
from server.workflow.models import ProcessDefinition, ProcessInstance
from server.workflow.runs import spec_key
from server.workflow.saving import advance_and_save


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
        check_start_data(definition, data)
    for start_hook in registry.start_hooks(process_key):
        data = start_hook(session, definition=definition, unit=unit, data=dict(data), actor=actor,
                          parent_id=parent_id)
    return start_prepared(session, definition, unit, data, actor, parent_id=parent_id, title=title,
                          start_timer_fired=start_timer_fired)


def check_start_data(definition: ProcessDefinition, data: dict[str, Any]) -> None:
    """What a person hands a process when he starts it (a start form, or a few small values)."""
    if not definition.start_form:
        check_formless_data(data)
    elif not registry.start_hooks(definition.key):
        # A family's start hook checks its own start form (with what the server adds to it);
        # a process without one gets its form checked here, so it holds only what the form asks.
        validate_form(form_schema(definition, definition.start_form), data)


def initial_data(unit: OrgUnit, actor: Person | None, data: dict[str, Any]) -> dict[str, Any]:
    """The engine's start data: the start hooks' data and where and by whom it started."""
    initial = dict(data)
    initial.update(
        org_unit_id=unit.id,
        org_unit_name=unit.name,
        started_by=actor.username if actor else None,
    )
    return initial


def new_instance(definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any], actor: Person | None,
                 parent_id: int | None, title: str | None, **values: Any) -> ProcessInstance:
    now = clock.now()
    return ProcessInstance(
        definition_id=definition.id,
        org_unit_id=unit.id,
        parent_id=parent_id,
        state="running",
        title=title or data.get("title") or definition.name,
        started_by_id=actor.id if actor else None,
        started_at=now,
        updated_at=now,
        **values,
    )


def record_started(session: Session, instance: ProcessInstance, definition: ProcessDefinition, unit: OrgUnit,
                   data: dict[str, Any], actor: Person | None) -> None:
    audit.record(
        session, "instance.started", actor=actor, instance_id=instance.id,
        process_key=definition.key, version=definition.version, org_unit=unit.code, data=data,
    )


def start_prepared(session: Session, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                   actor: Person | None, *, parent_id: int | None = None, title: str | None = None,
                   start_timer_fired: bool = False) -> ProcessInstance:
    """Start an instance whose checks and start hooks have run: the engine's first step, saved."""
    run = Run.start(spec_key(definition), lambda: definition.spec_json, initial_data(unit, actor, data),
                    calendar=lambda: calendar_for(session), fire_start_timers=start_timer_fired)
    instance = new_instance(definition, unit, data, actor, parent_id, title, engine_state="{}")
    session.add(instance)
    session.flush()
    record_started(session, instance, definition, unit, data, actor)
    advance_and_save(session, instance, definition, run, actor)
    return instance


FORMLESS_MAX_KEYS = 20
FORMLESS_MAX_BYTES = 16 * 1024
FORMLESS_MAX_DEPTH = 4
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def check_formless_data(data: dict[str, Any]) -> None:
    """What a person may hand a process that has no start form: a few small named values.

    Without a form nothing says what the data means, yet it is copied into the instance and
    every task of it: unbounded, a member could store megabytes per start. Server-side starts
    (schedules, campaigns) are not bound by this.
    """
    problems = [{"field": f"data.{key}"[:80], "message": "a name of letters, digits and _ (at most 64)"}
                for key in data if not _KEY.match(str(key))]
    if len(data) > FORMLESS_MAX_KEYS:
        problems.append({"field": "data", "message": f"at most {FORMLESS_MAX_KEYS} values"})
    if len(json.dumps(data, ensure_ascii=False).encode()) > FORMLESS_MAX_BYTES:
        problems.append({"field": "data", "message": f"at most {FORMLESS_MAX_BYTES} bytes"})
    stack: list[tuple[Any, int]] = [(value, 1) for value in data.values()]
    while stack and not any(p["message"].startswith("nested") for p in problems):
        value, depth = stack.pop()
        children = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        if children and depth >= FORMLESS_MAX_DEPTH:
            problems.append({"field": "data", "message": f"nested at most {FORMLESS_MAX_DEPTH} levels"})
        stack.extend((child, depth + 1) for child in children)
    if problems:
        raise Invalid("this process has no start form: its start data must be a few small named values",
                      problems)


def check_may_start_all(session: Session, actor: Person, definition: ProcessDefinition,
                        units: list[OrgUnit]) -> None:
    """``check_may_start`` for many units at once, in one query."""
    if not definition.starter:
        for unit in units:
            check_may_start(session, actor, definition, unit)
        return
    roles = [term.role for term in parse_role_expression(definition.starter)]
    held = {(unit_id, role) for unit_id, role in session.execute(
        select(Position.org_unit_id, Position.role)
        .where(Position.person_id == actor.id, Position.role.in_(roles), active_position_filter())
    )}
    for unit in units:
        if not any((unit_id, role) in held for unit_id in unit.ancestor_ids() for role in roles):
            raise Forbidden(
                f"starting '{definition.key}' needs the role {definition.starter} in "
                f"{unit.name} or a unit above it"
            )


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
