"""Dissolving and merging units: never silently.

``impact`` says what is alive in a unit's subtree: running (or suspended) instances, open
tasks, units below it, people holding positions there. Both operations take a ``dry_run``
that answers the same report and changes nothing.

* **dissolve** is refused while anything is alive below the unit (the report lists it: finish
  or cancel the processes, transfer the people, dissolve or move the units first); otherwise
  the unit is stamped ``dissolved_at`` and stays in the tree for history.
* **merge** into a unit of the same type is refused while processes run or tasks are open in
  the unit (they belong to it and cannot change unit half-way); otherwise the units below it
  move under the target, its members, activists, candidates, contacts and masses
  representatives hold the same role in the target from today, its leadership positions
  (secretary, committee, org_admin ...) end (the target keeps its own), and the unit is
  stamped ``dissolved_at`` and ``merged_into_id``. The report lists each of these.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server import audit, clock
from server.errors import Conflict, Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, unit_by_ref
from server.orgadmin.authority import check_admin_over, live_unit, reason_text
from server.orgadmin.positions import close, today
from server.orgadmin.units import move
from server.workflow.control import RUNNING, SUSPENDED
from server.workflow.models import ProcessInstance

CARRIED_ROLES = ("member", "activist", "development_candidate", "contact", "masses_rep")
"""Roles that follow the people into the unit they are merged into; the others end."""


def impact(session: Session, unit: OrgUnit) -> dict[str, Any]:
    """What is alive in ``unit`` and below it."""
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path),
                                                       OrgUnit.dissolved_at.is_(None))))
    ids = [u.id for u in units]
    instances = session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.state, ProcessInstance.stage,
               OrgUnit.code).join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
        .where(ProcessInstance.org_unit_id.in_(ids), ProcessInstance.state.in_((RUNNING, SUSPENDED)))
        .order_by(ProcessInstance.id)).all()
    open_tasks = session.scalar(select(func.count(Task.id)).where(Task.org_unit_id.in_(ids), Task.state == OPEN)) or 0
    positions = session.execute(
        select(Person.username, Person.display_name, Position.role, OrgUnit.code)
        .join(Position, Position.person_id == Person.id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.org_unit_id.in_(ids), active_position_filter()).order_by(OrgUnit.code, Person.username)).all()
    return {
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name, "type": unit.type},
        "running_instances": [{"id": i, "title": t, "state": s, "stage": st, "org_unit": c}
                              for i, t, s, st, c in instances],
        "open_tasks": open_tasks,
        "units_below": [{"id": u.id, "code": u.code, "name": u.name, "type": u.type} for u in units if u.id != unit.id],
        "positions": [{"person": u, "name": n, "role": r, "org_unit": c} for u, n, r, c in positions],
    }


def _unit(session: Session, ref: int | str, field: str) -> OrgUnit:
    try:
        return unit_by_ref(session, ref)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": field, "message": "unknown unit"}]) from exc


def dissolve(session: Session, actor: Person, unit_ref: int | str, reason: str | None,
             dry_run: bool) -> dict[str, Any]:
    unit = unit_by_ref(session, unit_ref)
    check_admin_over(session, actor, unit)
    live_unit(unit, "id")
    why = reason_text(reason)
    if unit.parent_id is None:
        raise Invalid("the top of the tree cannot be dissolved", [{"field": "id", "message": "root"}])
    report = impact(session, unit)
    blockers = _blockers(report, with_people=True, with_units=True)
    report.update(dry_run=dry_run, done=False, blocked_by=blockers,
                  what_happens=blockers or [f"{unit.name} is marked dissolved and stays in the history"])
    if blockers and not dry_run:
        raise Conflict(f"{unit.name} cannot be dissolved yet: " + "; ".join(blockers),
                       [{"field": "id", "message": b} for b in blockers])
    if not dry_run:
        unit.dissolved_at = clock.now()
        report["done"] = True
        audit.record(session, "org.unit_dissolved", actor=actor, unit=unit.code, reason=why)
    return report


def _blockers(report: dict[str, Any], *, with_people: bool, with_units: bool) -> list[str]:
    found = []
    if report["running_instances"]:
        ids = ", ".join(str(i["id"]) for i in report["running_instances"])
        found.append(f"{len(report['running_instances'])} process instances still run (ids {ids}): "
                     "let them finish or cancel them")
    if report["open_tasks"]:
        found.append(f"{report['open_tasks']} tasks are open")
    if with_units and report["units_below"]:
        found.append(f"{len(report['units_below'])} units below it: dissolve, merge or move them first")
    if with_people and report["positions"]:
        found.append(f"{len(report['positions'])} positions are held: transfer the members or end the positions")
    return found


def merge(session: Session, actor: Person, unit_ref: int | str, into_ref: int | str, reason: str | None,
          dry_run: bool) -> dict[str, Any]:
    unit = unit_by_ref(session, unit_ref)
    check_admin_over(session, actor, unit)
    live_unit(unit, "id")
    why = reason_text(reason)
    target = live_unit(_unit(session, into_ref, "into"), "into")
    check_admin_over(session, actor, target, "into")
    if target.type != unit.type:
        raise Invalid(f"{unit.name} is a {unit.type} and {target.name} a {target.type}: merge units of one type",
                      [{"field": "into", "message": "another type"}])
    if target.path.startswith(unit.path):
        raise Invalid("a unit cannot be merged into itself or a unit below it",
                      [{"field": "into", "message": "inside"}])
    report = impact(session, unit)
    own = [i for i in report["running_instances"] if i["org_unit"] == unit.code]
    own_tasks = session.scalar(select(func.count(Task.id)).where(Task.org_unit_id == unit.id, Task.state == OPEN)) or 0
    blockers = _blockers({**report, "running_instances": own, "open_tasks": own_tasks},
                         with_people=False, with_units=False)
    children = [u for u in report["units_below"] if session.get(OrgUnit, u["id"]).parent_id == unit.id]  # type: ignore[union-attr]
    held = session.scalars(select(Position).where(Position.org_unit_id == unit.id, active_position_filter())
                           .order_by(Position.id)).all()
    carried = [p for p in held if p.role in CARRIED_ROLES]
    ended = [p for p in held if p.role not in CARRIED_ROLES]
    report.update(dry_run=dry_run, done=False, into={"id": target.id, "code": target.code, "name": target.name},
                  blocked_by=blockers, what_happens=blockers or [
                      f"{len(children)} units below it move under {target.name}",
                      f"{len(carried)} positions move to {target.name} from today "
                      f"({', '.join(sorted({p.person.username for p in carried}))})",
                      f"{len(ended)} leadership positions end "
                      f"({', '.join(p.role + ' ' + p.person.username for p in ended)})",
                      f"{unit.name} is marked dissolved, merged into {target.name}"])
    if blockers and not dry_run:
        raise Conflict(f"{unit.name} cannot be merged yet: " + "; ".join(blockers),
                       [{"field": "id", "message": b} for b in blockers])
    if dry_run:
        return report
    for child in children:
        move(session, actor, session.get(OrgUnit, child["id"]), target)  # type: ignore[arg-type]
    start = today()
    for position in held:
        close(session, actor, position, start - timedelta(days=1), why)
    for position in carried:
        already = session.scalar(select(Position.id).where(
            Position.person_id == position.person_id, Position.org_unit_id == target.id,
            Position.role == position.role, active_position_filter()).limit(1))
        if already is None:
            session.add(Position(person_id=position.person_id, org_unit_id=target.id, role=position.role,
                                 start=start))
    unit = session.get(OrgUnit, unit.id)  # type: ignore[assignment]
    unit.dissolved_at = clock.now()
    unit.merged_into_id = target.id
    session.flush()
    audit.record(session, "org.unit_merged", actor=actor, unit=unit.code, into=target.code, reason=why,
                 moved_units=[c["code"] for c in children], moved_positions=len(carried), ended_positions=len(ended))
    report["done"] = True
    return report
