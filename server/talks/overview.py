"""The talk work of every branch a person looks after, on one page (谈心谈话 overview): for a
branch secretary her own branch, for a party committee or the organisation department every
branch below. Drives the unit picker of the talk pages and the superior's table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, unit_dict
from server.talks.coverage import coverage, period
from server.talks.models import Talk, TalkProblem, TalkReport
from server.talks.terms import MANAGE_ROLES, SUPERIOR_ROLES, today


def managed_units(session: Session, viewer: Person) -> list[OrgUnit]:
    """Branches whose talk work ``viewer`` may manage: where she sits on the branch committee, and
    every branch below a unit where she is a secretary or organisation staff."""
    mine = session.execute(
        select(Position.role, OrgUnit).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id == viewer.id, active_position_filter(),
               Position.role.in_(set(MANAGE_ROLES) | set(SUPERIOR_ROLES)))
    ).all()
    own = [unit.id for role, unit in mine if role in MANAGE_ROLES and unit.type == "branch"]
    # A committee above the branches (a party committee's secretary) looks after the branches below.
    above = [unit.path for role, unit in mine if role in SUPERIOR_ROLES or unit.type != "branch"]
    conditions: list[ColumnElement[bool]] = [OrgUnit.id.in_(own)] if own else []
    conditions += [OrgUnit.path.startswith(path) & (OrgUnit.type == "branch") for path in above]
    if not conditions:
        return []
    return list(session.scalars(select(OrgUnit).where(or_(*conditions)).order_by(OrgUnit.path)))


def overview(session: Session, viewer: Person, code: str | None) -> dict[str, Any]:
    half = period(code)
    units = managed_units(session, viewer)
    ids = [u.id for u in units]
    on = today()
    talks = dict(session.execute(
        select(Talk.org_unit_id, func.count()).where(Talk.org_unit_id.in_(ids), Talk.held_on >= half.start,
                                                     Talk.held_on <= half.end).group_by(Talk.org_unit_id)
    ).all()) if ids else {}
    problems: dict[int, dict[str, int]] = {}
    if ids:
        for unit_id, deadline in session.execute(
            select(TalkProblem.org_unit_id, TalkProblem.deadline)
            .where(TalkProblem.org_unit_id.in_(ids), TalkProblem.state != "closed")
        ):
            counts = problems.setdefault(unit_id, {"open": 0, "overdue": 0})
            counts["open"] += 1
            counts["overdue"] += deadline < on
    reports = {r.org_unit_id: r for r in session.scalars(
        select(TalkReport).where(TalkReport.org_unit_id.in_(ids), TalkReport.period == half.code))} if ids else {}
    rows = []
    for unit in units:
        cov = coverage(session, unit, half)
        report = reports.get(unit.id)
        rows.append({
            "org_unit": unit_dict(unit),
            "members": cov["members"], "covered": cov["covered_count"], "ratio": cov["ratio"],
            "talks_held": talks.get(unit.id, 0),
            "problems_open": problems.get(unit.id, {}).get("open", 0),
            "problems_overdue": problems.get(unit.id, {}).get("overdue", 0),
            "report": None if report is None else {"id": report.id, "state": report.state,
                                                   "due_on": report.due_on.isoformat()},
        })
    return {"period": half.code, "period_label": half.label, "from": half.start.isoformat(),
            "to": half.end.isoformat(), "units": rows}
