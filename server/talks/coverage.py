"""Half-year periods and the talk coverage of a branch: has the secretary talked with every member?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.calendar.workdays import FIRST_YEAR, LAST_YEAR
from server.errors import Invalid
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, members_of_branch, unit_dict
from server.talks.models import Talk
from server.talks.terms import (
    SUBJECT_ROLES,
    today,
)
from server.talks.views import who

_PERIOD = re.compile(r"^(?P<year>[0-9]{4})H(?P<half>[12])$")


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start.year}年{'上' if self.start.month == 1 else '下'}半年"


def period(code: str | None = None, on: date | None = None) -> Period:
    """``2026H1`` (January–June) or ``2026H2`` (July–December); by default the current one."""
    if code is None:
        day = on or today()
        code = f"{day.year}H{1 if day.month <= 6 else 2}"
    match = _PERIOD.match(code)
    if not match:
        raise Invalid(f"period '{code}' is not like 2026H1 or 2026H2", [{"field": "period", "message": "bad period"}])
    year = int(match.group("year"))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"period '{code}': the year must be between {FIRST_YEAR} and {LAST_YEAR}",
                      [{"field": "period", "message": "out of range"}])
    if match.group("half") == "1":
        return Period(code, date(year, 1, 1), date(year, 6, 30))
    return Period(code, date(year, 7, 1), date(year, 12, 31))


def members_of(session: Session, unit: OrgUnit) -> list[Person]:
    """The people the secretary must talk with: members and activists, not the secretaries themselves."""
    secretaries = set(session.scalars(select(Position.person_id).where(
        Position.org_unit_id == unit.id, Position.role == "secretary", active_position_filter()
    )))
    return [p for p in members_of_branch(session, unit, SUBJECT_ROLES) if p.id not in secretaries]


def coverage(session: Session, unit: OrgUnit, half: Period) -> dict[str, Any]:
    """Who the branch secretary has talked with this half year (定期谈心全覆盖)."""
    secretaries = select(Position.person_id).where(
        Position.org_unit_id == unit.id, Position.role == "secretary", active_position_filter()
    )
    held = session.execute(
        select(Talk.subject_id, Talk.held_on, Talk.kind).where(
            Talk.org_unit_id == unit.id, Talk.held_on.is_not(None), Talk.held_on >= half.start,
            Talk.held_on <= half.end, Talk.talker_id.in_(secretaries),
        )
    ).all()
    by_subject: dict[int, list[Any]] = {}
    for row in held:
        by_subject.setdefault(row.subject_id, []).append(row)
    covered, uncovered = [], []
    for person in members_of(session, unit):
        rows = by_subject.get(person.id)
        if rows:
            covered.append({**(who(person) or {}), "talks": len(rows),
                            "last_held_on": max(r.held_on for r in rows).isoformat()})
        else:
            uncovered.append(who(person))
    total = len(covered) + len(uncovered)
    return {
        "org_unit": unit_dict(unit),
        "period": half.code,
        "period_label": half.label,
        "from": half.start.isoformat(),
        "to": half.end.isoformat(),
        "members": total,
        "covered_count": len(covered),
        "uncovered_count": len(uncovered),
        "ratio": round(len(covered) / total, 4) if total else 1.0,
        "covered": covered,
        "uncovered": uncovered,
    }
