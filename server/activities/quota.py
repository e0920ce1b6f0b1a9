"""Quota tracking: for each member, unit and period what is due, done, missing and overdue.

The cost does not grow with the records: confirmed records are counted in SQL, grouped by
member, programme and month (``ix_activity_record_unit_state_done``), so a year of a district
is at most members × programmes × 12 small rows, however many records they hold. The rest is
arithmetic on those counts:

* a programme's cadence periods overlapping the period asked (a month's view of a quarterly
  visit shows that quarter); a cadence period with none of its months in the season owes nothing;
* ``due``: the member's quota (``programmes.quota_for``) per cadence period; ``done``: confirmed
  records, at most the quota per period (an extra deed in May does not make up for June);
  ``missing = due − done``; ``overdue``: what is missing in cadence periods already over.

Units roll up the tree (a branch's numbers are in its party committee's and district's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.activities import periods, programmes
from server.activities.models import ActivityProgramme, ActivityRecord
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter

HEAD_ROLES = ("secretary",)
"""Who is "the head of the organisation" for ``head_quota`` (annex 6: 党组织负责人)."""


@dataclass
class Numbers:
    due: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def missing(self) -> int:
        return self.due - self.done

    def add(self, other: Numbers) -> None:
        self.due += other.due
        self.done += other.done
        self.overdue += other.overdue

    def as_dict(self) -> dict[str, int]:
        return {"due": self.due, "done": self.done, "missing": self.missing, "overdue": self.overdue}


@dataclass
class MemberRow:
    person_id: int
    username: str
    name: str
    unit: Any
    """The member's unit: an ``OrgUnit`` or a row with its id, code, name, type, parent_id and path."""
    is_head: bool
    total: Numbers = field(default_factory=Numbers)
    by_programme: dict[int, Numbers] = field(default_factory=dict)


@dataclass
class Ledger:
    """The numbers of one unit's subtree over one period."""

    unit: OrgUnit
    period: periods.Period
    today: date
    units: Sequence[Any]
    programmes: list[ActivityProgramme]
    members: list[MemberRow]
    unit_totals: dict[int, Numbers]
    unit_members: dict[int, int]
    members_total: int | None = None
    """Set when ``members`` is already the page asked (``server.activities.rollup``): all members."""


def subtree(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)))


def _members(session: Session, unit_ids: list[int]) -> list[tuple[int, str, str, int]]:
    rows = session.execute(
        select(Position.person_id, Person.username, Person.display_name, Position.org_unit_id)
        .join(Person, Person.id == Position.person_id)
        .where(Position.role == "member", Position.org_unit_id.in_(unit_ids), active_position_filter(),
               Person.active.is_(True))
        .order_by(Position.org_unit_id, Person.username)
    ).all()
    return [(r.person_id, r.username, r.display_name, r.org_unit_id) for r in rows]


def heads_of(session: Session, unit_ids: list[int]) -> set[tuple[int, int]]:
    rows = session.execute(select(Position.person_id, Position.org_unit_id).where(
        Position.role.in_(HEAD_ROLES), Position.org_unit_id.in_(unit_ids), active_position_filter())).all()
    return {(r.person_id, r.org_unit_id) for r in rows}


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def counts(session: Session, unit_ids: list[int], programme_ids: list[int], start: date, end: date,
           member_ids: list[int] | None = None) -> dict[tuple[int, int, int], list[tuple[int, int]]]:
    """Confirmed records by (member, unit, programme) → [(month index, count)], counted in SQL (of
    some members only: ``member_ids``)."""
    month = func.extract("year", ActivityRecord.done_on) * 12 + func.extract("month", ActivityRecord.done_on) - 1
    stmt = (
        select(ActivityRecord.member_id, ActivityRecord.org_unit_id, ActivityRecord.programme_id, month,
               func.count())
        .where(ActivityRecord.state == "confirmed", ActivityRecord.org_unit_id.in_(unit_ids),
               ActivityRecord.programme_id.in_(programme_ids), ActivityRecord.done_on >= start,
               ActivityRecord.done_on <= end,
               *([] if member_ids is None else [ActivityRecord.member_id.in_(member_ids)]))
        .group_by(ActivityRecord.member_id, ActivityRecord.org_unit_id, ActivityRecord.programme_id, month)
    )
    out: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    # Streamed in chunks: a district's year is ~members × programmes × months rows.
    for member_id, unit_id, programme_id, index, n in session.execute(stmt.execution_options(yield_per=5000)):
        key = (member_id, unit_id, programme_id or 0)
        found = out.get(key)
        if found is None:
            out[key] = [(int(index), n)]
        else:
            found.append((int(index), n))
    return out


@dataclass(frozen=True)
class Plan:
    """A programme's cadence periods that owe something within the period asked: which of them each
    month falls in, how many there are and how many are over."""

    slot_of: dict[int, int]
    """Month index (``month_index``) → slot."""
    slots: int
    over: frozenset[int]


def plan(programme: ActivityProgramme, period: periods.Period, today: date) -> Plan:
    slot_of: dict[int, int] = {}
    over: set[int] = set()
    slots = 0
    for cadence_period in periods.cadence_periods(programme.cadence, period):
        months = cadence_period.months()
        if any(programmes.in_season(programme, m) for _, m in months):
            for year, month in months:
                slot_of[month_index(year, month)] = slots
            if cadence_period.end < today:
                over.add(slots)
            slots += 1
    return Plan(slot_of, slots, frozenset(over))


def numbers(plan: Plan, quota: int, mine: list[tuple[int, int]]) -> Numbers:
    """Due, done (at most the quota a period) and overdue; the cost grows with the months that hold
    records, not with the periods."""
    due, overdue = quota * plan.slots, quota * len(plan.over)
    if not mine:
        return Numbers(due, 0, overdue)
    per_slot: dict[int, int] = {}
    for index, n in mine:
        slot = plan.slot_of.get(index)
        if slot is not None:
            per_slot[slot] = per_slot.get(slot, 0) + n
    done = 0
    for slot, n in per_slot.items():
        capped = n if n < quota else quota
        done += capped
        if slot in plan.over:
            overdue -= capped
    return Numbers(due, done, overdue)


def active_programmes(session: Session, unit: OrgUnit, unit_ids: list[int]) -> list[ActivityProgramme]:
    """The active programmes owned by the unit, a unit above it or a unit below it."""
    owners = set(unit.ancestor_ids()) | set(unit_ids)
    return list(session.scalars(select(ActivityProgramme).where(
        ActivityProgramme.org_unit_id.in_(owners), ActivityProgramme.active.is_(True)).order_by(ActivityProgramme.id)))


def span(plans: dict[int, Plan]) -> tuple[date, date] | None:
    """The first and last day of the months any programme's periods cover, if any."""
    indexes = [m for plan in plans.values() for m in plan.slot_of]
    if not indexes:
        return None
    first, last = divmod(min(indexes), 12), divmod(max(indexes), 12)
    return periods.month(first[0], first[1] + 1).start, periods.month(last[0], last[1] + 1).end


def codes_on_paths(session: Session, unit: OrgUnit, units: Sequence[Any]) -> dict[int, list[str]]:
    """Each unit's codes from the root down (``programmes.quota_for``'s ``path_codes``)."""
    code_of = {u.id: u.code for u in units}
    code_of.update((row.id, row.code) for row in session.execute(select(OrgUnit.id, OrgUnit.code).where(
        OrgUnit.id.in_(unit.ancestor_ids()[:-1]))))
    return {u.id: [code_of[int(a)] for a in u.path.strip("/").split("/") if int(a) in code_of] for u in units}


def compute(session: Session, unit: OrgUnit, period: periods.Period, today: date) -> Ledger:
    """Every member's numbers from the records (the xlsx sheet, ``missing=1``, quotas above the
    counters' depth); ``server.activities.rollup`` gives the same totals from the counters."""
    units = subtree(session, unit)
    unit_ids = [u.id for u in units]
    by_id = {u.id: u for u in units}
    ancestors = {u.id: u.ancestor_ids() for u in units}
    progs = active_programmes(session, unit, unit_ids)
    plans = {p.id: plan(p, period, today) for p in progs}
    days = span(plans)
    found: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    if days is not None:
        found = counts(session, unit_ids, [p.id for p in progs], *days)
    heads = heads_of(session, unit_ids)
    applying = {u.id: [p for p in progs if p.org_unit_id in ancestors[u.id]] for u in units}
    path_codes = codes_on_paths(session, unit, units)
    members: list[MemberRow] = []
    unit_totals = {u.id: Numbers() for u in units}
    unit_members: dict[int, int] = defaultdict(int)
    none: list[tuple[int, int]] = []
    for person_id, username, name, unit_id in _members(session, unit_ids):
        row = MemberRow(person_id, username, name, by_id[unit_id], (person_id, unit_id) in heads)
        for programme in applying[unit_id]:
            quota = programmes.quota_for(programme, path_codes[unit_id], row.is_head)
            mine = numbers(plans[programme.id], quota, found.get((person_id, unit_id, programme.id), none))
            row.by_programme[programme.id] = mine
            row.total.add(mine)
        members.append(row)
        for ancestor in ancestors[unit_id]:
            if ancestor in unit_totals:
                unit_totals[ancestor].add(row.total)
                unit_members[ancestor] += 1
    return Ledger(unit, period, today, units, progs, members, unit_totals, dict(unit_members))


def rate(numbers: Numbers) -> float | None:
    return round(numbers.done / numbers.due, 4) if numbers.due else None


def ledger_dict(ledger: Ledger, *, limit: int, offset: int, only_missing: bool = False) -> dict[str, Any]:
    root_depth = ledger.unit.path.count("/")
    if ledger.members_total is not None:
        members, total, offset = ledger.members, ledger.members_total, 0
    else:
        members = [m for m in ledger.members if not only_missing or m.total.missing > 0]
        total = len(members)
    return {
        "org_unit": {"id": ledger.unit.id, "code": ledger.unit.code, "name": ledger.unit.name,
                     "type": ledger.unit.type},
        "period": {"code": ledger.period.code, "start": ledger.period.start.isoformat(),
                   "end": ledger.period.end.isoformat()},
        "today": ledger.today.isoformat(),
        "programmes": [programmes.programme_dict(p) for p in ledger.programmes],
        "totals": {**ledger.unit_totals[ledger.unit.id].as_dict(),
                   "members": ledger.unit_members.get(ledger.unit.id, 0),
                   "rate": rate(ledger.unit_totals[ledger.unit.id])},
        "units": [{"id": u.id, "code": u.code, "name": u.name, "type": u.type, "parent_id": u.parent_id,
                   "depth": u.path.count("/") - root_depth, "members": ledger.unit_members.get(u.id, 0),
                   **ledger.unit_totals[u.id].as_dict(), "rate": rate(ledger.unit_totals[u.id])}
                  for u in ledger.units],
        "members_total": total,
        "members": [{"person": {"id": m.person_id, "username": m.username, "name": m.name},
                     "org_unit": {"id": m.unit.id, "name": m.unit.name}, "is_head": m.is_head,
                     **m.total.as_dict(),
                     "programmes": [{"id": pid, **n.as_dict()} for pid, n in m.by_programme.items()]}
                    for m in members[offset:offset + limit]],
    }
