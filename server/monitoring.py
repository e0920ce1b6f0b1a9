"""Monitoring on the diagram: one instance's progress, and a heat map of a process over a subtree.

Who may look: a person holding ``org_admin`` in a unit sees the instances of
that unit and of every unit below it (docs/designer.md). Nobody else.

Where the numbers come from:

* Human tasks (``inbox.models.Task``): open, overdue (open and past ``due_at``),
  completed, cancelled; durations are ``completed_at - created_at``. The heat map
  is one grouped SQL query over these rows, restricted by the org subtree's
  materialised path, so it costs the same whatever the engine state holds.
* The audit trail (``AuditEvent``): the instance's history beside the diagram.
* For one instance only, the non-human elements (events, gateways, script tasks,
  waiting timers) are read from the instance's saved engine state and its parts'
  (``engine.element_states``): the task table knows nothing of them. Only the
  task-spec names and states are read, and an unreadable state just leaves
  those elements unmarked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from inbox.models import CANCELLED, COMPLETED, OPEN, Task
from server import audit, clock
from server.errors import Forbidden, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, unit_by_ref, unit_dict
from server.workflow.engine import BPMN_NS, element_states
from server.workflow.models import InstancePart, ProcessDefinition, ProcessInstance

MONITOR_ROLE = "org_admin"


# -- who may look ----------------------------------------------------------------------------


def monitored_paths(session: Session, person_id: int) -> list[str]:
    """Materialised paths of the units where the person is ``org_admin`` (each covers its subtree)."""
    return list(
        session.scalars(
            select(OrgUnit.path)
            .join(Position, Position.org_unit_id == OrgUnit.id)
            .where(Position.person_id == person_id, Position.role == MONITOR_ROLE, active_position_filter())
        )
    )


def can_monitor(session: Session, person_id: int) -> bool:
    return bool(monitored_paths(session, person_id))


def _subtree(paths: Iterable[str]) -> ColumnElement[bool]:
    clauses = [OrgUnit.path.startswith(p) for p in paths]
    return or_(*clauses) if clauses else false()


def _check_unit(session: Session, person: Person, unit: OrgUnit) -> None:
    if not any(unit.path.startswith(p) for p in monitored_paths(session, person.id)):
        raise Forbidden(f"monitoring {unit.name} needs the org_admin role in it or in a unit above it")


def units(session: Session, person: Person) -> list[dict[str, Any]]:
    """Every unit the person may monitor, tree order (by path)."""
    paths = monitored_paths(session, person.id)
    rows = session.scalars(select(OrgUnit).where(_subtree(paths)).order_by(OrgUnit.path)).all()
    return [{**unit_dict(u), "depth": len(u.ancestor_ids()) - 1, "parent_id": u.parent_id} for u in rows]


# -- one instance ----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _bpmn_ids(xml: str) -> set[str]:
    """Ids of the BPMN model elements of a file (the engine adds task specs of its own: Start, End, joins)."""
    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return set()
    return {
        str(el.get("id"))
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN_NS}}}") and el.get("id")
    }


def instance_view(session: Session, person: Person, instance_id: int) -> dict[str, Any]:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    _check_unit(session, person, instance.org_unit)
    definition = instance.definition
    now = clock.now()
    tasks = session.scalars(select(Task).where(Task.instance_id == instance.id).order_by(Task.id)).all()

    elements: dict[str, dict[str, Any]] = {}
    known = _bpmn_ids(definition.bpmn_xml)
    part_states = session.scalars(
        select(InstancePart.engine_state).where(InstancePart.instance_id == instance.id)
    ).all()
    states = element_states(instance.engine_state, part_states)  # detached bodies: active anywhere is active
    for element_id, state in states.items():
        if element_id in known:
            elements[element_id] = {"state": state, "tasks": []}
    by_element: dict[str, list[Task]] = {}
    for task in tasks:
        by_element.setdefault(task.element_id, []).append(task)
    for element_id, rows in by_element.items():
        open_rows = [t for t in rows if t.state == OPEN]
        if any(t.due_at is not None and t.due_at < now for t in open_rows):
            state = "overdue"
        elif open_rows:
            state = "active"
        elif any(t.state == COMPLETED for t in rows):
            state = "completed"
        else:
            state = "cancelled"
        elements[element_id] = {
            "state": state,
            "tasks": [
                {
                    "id": t.id,
                    "name": t.name,
                    "state": t.state,
                    "assignee": t.assignee.display_name if t.assignee else None,
                    "role": t.role,
                    "created_at": _iso(t.created_at),
                    "due_at": _iso(t.due_at),
                    "completed_at": _iso(t.completed_at),
                    "overdue": bool(t.state == OPEN and t.due_at is not None and t.due_at < now),
                }
                for t in rows
            ],
        }
    counts = {s: sum(1 for e in elements.values() if e["state"] == s)
              for s in ("completed", "active", "overdue", "cancelled")}
    return {
        "instance": {
            "id": instance.id,
            "title": instance.title,
            "state": instance.state,
            "stage": instance.stage,
            "stage_label": instance.stage_label,
            "org_unit": unit_dict(instance.org_unit),
            "started_at": _iso(instance.started_at),
            "completed_at": _iso(instance.completed_at),
            "started_by": instance.started_by.display_name if instance.started_by else None,
        },
        "process_key": definition.key,
        "version": definition.version,
        "bpmn_url": f"/api/process-definitions/{definition.key}/versions/{definition.version}/bpmn",
        "elements": elements,
        "counts": counts,
        "history": audit.history(session, instance.id),
    }


# -- a process over a subtree ----------------------------------------------------------------


def _seconds(session: Session, column: Any) -> Any:
    """A timestamp column as seconds since the epoch, in this database's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0  # Julian day of 1970-01-01
    return func.extract("epoch", column)


def _version_with_work(session: Session, versions: Any, unit: OrgUnit) -> ProcessDefinition:
    """Without a version asked for: the newest one with running instances in the unit's subtree,
    else the newest with any, else the newest (a version just deployed has nothing to show yet)."""
    ids = [d.id for d in versions]
    for running_only in (True, False):
        stmt = (select(func.max(ProcessInstance.definition_id))
                .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
                .where(ProcessInstance.definition_id.in_(ids), OrgUnit.path.startswith(unit.path)))
        if running_only:
            stmt = stmt.where(ProcessInstance.state == "running")
        found = session.scalar(stmt)
        if found is not None:
            return next(d for d in versions if d.id == found)
    return versions[-1]


def heatmap(
    session: Session,
    person: Person,
    process_key: str,
    *,
    version: int | None = None,
    org_unit: int | str | None = None,
    recent: int = 50,
) -> dict[str, Any]:
    """Per element: open, overdue, completed and cancelled task counts, mean durations (seconds)."""
    paths = monitored_paths(session, person.id)
    if not paths:
        raise Forbidden("monitoring needs the org_admin role")
    if org_unit is None:
        top = session.scalar(select(OrgUnit).where(OrgUnit.path.in_(paths)).order_by(OrgUnit.path).limit(1))
        assert top is not None
        unit = top
    else:
        unit = unit_by_ref(session, org_unit)
        _check_unit(session, person, unit)

    versions = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == process_key).order_by(ProcessDefinition.version)
    ).all()
    if not versions:
        raise NotFound(f"no process definition with key '{process_key}'")
    if version is None:
        definition = _version_with_work(session, versions, unit)
    else:
        found = next((d for d in versions if d.version == version), None)
        if found is None:
            raise NotFound(f"process '{process_key}' has no version {version}")
        definition = found

    in_scope = and_(
        ProcessInstance.definition_id == definition.id,
        ProcessInstance.org_unit_id == OrgUnit.id,
        OrgUnit.path.startswith(unit.path),
    )
    now = clock.now()
    now_seconds = now.timestamp()
    is_open = Task.state == OPEN
    is_done = Task.state == COMPLETED
    overdue = and_(is_open, Task.due_at.is_not(None), Task.due_at < now)
    created = _seconds(session, Task.created_at)
    done_duration = case((is_done, _seconds(session, Task.completed_at) - created), else_=None)
    open_age = case((is_open, now_seconds - created), else_=None)
    rows = session.execute(
        select(
            Task.element_id,
            func.max(Task.name),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((is_done, 1), else_=0)),
            func.sum(case((Task.state == CANCELLED, 1), else_=0)),
            func.avg(done_duration),
            func.avg(open_age),
        )
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
        .where(in_scope)
        .group_by(Task.element_id)
    ).all()
    elements = {
        element_id: {
            "name": name,
            "open": int(open_ or 0),
            "overdue": int(late or 0),
            "completed": int(done or 0),
            "cancelled": int(cancelled or 0),
            "mean_seconds": round(float(mean_done), 1) if mean_done is not None else None,
            "mean_open_seconds": round(float(mean_open), 1) if mean_open is not None else None,
        }
        for element_id, name, open_, late, done, cancelled, mean_done, mean_open in rows
    }
    state_counts = dict(
        session.execute(
            select(ProcessInstance.state, func.count(ProcessInstance.id))
            .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
            .where(in_scope)
            .group_by(ProcessInstance.state)
        ).all()
    )
    latest = session.scalars(
        select(ProcessInstance)
        .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
        .where(in_scope)
        .order_by(ProcessInstance.id.desc())
        .limit(recent)
    ).all()
    return {
        "process_key": definition.key,
        "name": definition.name,
        "version": definition.version,
        "versions": [d.version for d in versions],
        "bpmn_url": f"/api/process-definitions/{definition.key}/versions/{definition.version}/bpmn",
        "org_unit": unit_dict(unit),
        "instances": {"running": int(state_counts.get("running", 0)),
                      "completed": int(state_counts.get("completed", 0)),
                      "total": int(sum(state_counts.values()))},
        "max_open": max((e["open"] for e in elements.values()), default=0),
        "elements": elements,
        "recent": [
            {"id": i.id, "title": i.title, "state": i.state, "stage_label": i.stage_label,
             "org_unit": unit_dict(i.org_unit), "started_at": _iso(i.started_at)}
            for i in latest
        ],
        "at": now.isoformat(),
    }
