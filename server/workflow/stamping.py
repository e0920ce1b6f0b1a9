"""Starting one instance of a process in each of many units at once (a campaign's launch).

``start_many`` gives what ``start_instance`` gives unit by unit (the same checks, start data,
engine state, task rows, candidates, due dates, audit rows and save hooks), at a fraction of
the cost: the starter's right is checked in one query for all units, the family's batch start
hook reads what it needs for all of them together, the engine's first step is stamped
(``server.workflow.engine.start_stamp``: built once per process, copied per instance), the
instance rows go out in one flush and the task rows in one statement per table. A process
whose first step cannot be stamped (it runs a script, waits on a timer...) or start data that
cannot be stamped is started the ordinary way, one instance at a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.calendar.store import calendar_for
from server.org.models import OrgUnit, Person
from server.workflow.definitions import get_latest
from server.workflow.engine import Snapshot, start_stamp
from server.workflow.hooks import registry
from server.workflow.instances import (
    check_may_start_all,
    check_start_data,
    initial_data,
    new_instance,
    record_started,
    start_prepared,
)
from server.workflow.models import ProcessDefinition, ProcessInstance
from server.workflow.runs import spec_key
from server.workflow.saving import first_save_values, save_started


def start_many(session: Session, *, process_key: str, units: list[OrgUnit], data: dict[str, Any],
               actor: Person | None, parent_id: int | None = None) -> list[ProcessInstance]:
    """Start the latest version of a process in each unit, with the same start data; the
    instances in the units' order."""
    if not units:
        return []
    definition = get_latest(session, process_key)
    if actor is not None:
        check_may_start_all(session, actor, definition, units)
        check_start_data(definition, data)
    starts = _start_data(session, definition, units, data, actor, parent_id)
    instances: list[ProcessInstance] = []
    stamped: list[tuple[ProcessInstance, Snapshot, OrgUnit, dict[str, Any]]] = []
    for unit, unit_data in zip(units, starts, strict=True):
        initial = initial_data(unit, actor, unit_data)
        stamp = start_stamp(spec_key(definition), lambda: definition.spec_json, tuple(initial),
                            calendar=lambda: calendar_for(session))
        snapshot = stamp.stamp(initial) if stamp is not None else None
        if snapshot is None:
            instances.append(start_prepared(session, definition, unit, unit_data, actor, parent_id=parent_id))
            continue
        instance = new_instance(definition, unit, unit_data, actor, parent_id, None,
                                **first_save_values(definition, snapshot))
        instances.append(instance)
        stamped.append((instance, snapshot, unit, unit_data))
    if stamped:
        session.add_all([instance for instance, *_ in stamped])
        session.flush()
        for instance, _, unit, unit_data in stamped:
            record_started(session, instance, definition, unit, unit_data, actor)
        save_started(session, definition, [(instance, snapshot) for instance, snapshot, *_ in stamped])
    return instances


def _start_data(session: Session, definition: ProcessDefinition, units: list[OrgUnit], data: dict[str, Any],
                actor: Person | None, parent_id: int | None) -> list[dict[str, Any]]:
    """Each unit's start data: the family's batch start hook, or its start hooks unit by unit."""
    batch = registry.batch_start_hook(definition.key)
    if batch is not None:
        return batch(session, definition=definition, units=units, data=dict(data), actor=actor, parent_id=parent_id)
    starts = []
    for unit in units:
        unit_data = dict(data)
        for start_hook in registry.start_hooks(definition.key):
            unit_data = start_hook(session, definition=definition, unit=unit, data=dict(unit_data), actor=actor,
                                   parent_id=parent_id)
        starts.append(unit_data)
    return starts
