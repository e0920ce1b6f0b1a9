"""The quota view's computation as it was before issue 20 (every confirmed record counted per member,
programme and month), kept verbatim as the reference the counters' roll-up is compared with
(tests/activities/test_quota_rollup.py). Only the imports and this docstring are new."""

# ruff: noqa
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.activities import periods, programmes
from server.activities.models import ActivityProgramme, ActivityRecord
from server.activities.quota import HEAD_ROLES, Ledger, MemberRow, Numbers
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter




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


def _heads(session: Session, unit_ids: list[int]) -> set[tuple[int, int]]:
    rows = session.execute(select(Position.person_id, Position.org_unit_id).where(
        Position.role.in_(HEAD_ROLES), Position.org_unit_id.in_(unit_ids), active_position_filter())).all()
    return {(r.person_id, r.org_unit_id) for r in rows}


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _counts(session: Session, unit_ids: list[int], programme_ids: list[int], start: date,
            end: date) -> dict[tuple[int, int, int], list[tuple[int, int]]]:
    """Confirmed records by (member, unit, programme) → [(month index, count)], counted in SQL."""
    month = func.extract("year", ActivityRecord.done_on) * 12 + func.extract("month", ActivityRecord.done_on) - 1
    stmt = (
        select(ActivityRecord.member_id, ActivityRecord.org_unit_id, ActivityRecord.programme_id, month,
               func.count())
        .where(ActivityRecord.state == "confirmed", ActivityRecord.org_unit_id.in_(unit_ids),
               ActivityRecord.programme_id.in_(programme_ids), ActivityRecord.done_on >= start,
               ActivityRecord.done_on <= end)
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
class _Plan:
    """A programme's cadence periods that owe something within the period asked: which of them each
    month falls in, how many there are and how many are over."""

    slot_of: dict[int, int]
    """Month index (``month_index``) → slot."""
    slots: int
    over: frozenset[int]


def _plan(programme: ActivityProgramme, period: periods.Period, today: date) -> _Plan:
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
    return _Plan(slot_of, slots, frozenset(over))


def _numbers(plan: _Plan, quota: int, mine: list[tuple[int, int]]) -> Numbers:
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


def compute(session: Session, unit: OrgUnit, period: periods.Period, today: date) -> Ledger:
    units = subtree(session, unit)
    unit_ids = [u.id for u in units]
    by_id = {u.id: u for u in units}
    ancestors = {u.id: u.ancestor_ids() for u in units}
    owners = set(unit.ancestor_ids()) | set(unit_ids)
    progs = list(session.scalars(select(ActivityProgramme).where(
        ActivityProgramme.org_unit_id.in_(owners), ActivityProgramme.active.is_(True)).order_by(ActivityProgramme.id)))
    plans = {p.id: _plan(p, period, today) for p in progs}
    indexes = [m for plan in plans.values() for m in plan.slot_of]
    counts: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    if indexes:
        first, last = divmod(min(indexes), 12), divmod(max(indexes), 12)
        counts = _counts(session, unit_ids, [p.id for p in progs], periods.month(first[0], first[1] + 1).start,
                         periods.month(last[0], last[1] + 1).end)
    heads = _heads(session, unit_ids)
    code_of = {u.id: u.code for u in units}
    code_of.update((row.id, row.code) for row in session.execute(select(OrgUnit.id, OrgUnit.code).where(
        OrgUnit.id.in_(unit.ancestor_ids()[:-1]))))
    applying = {u.id: [p for p in progs if p.org_unit_id in ancestors[u.id]] for u in units}
    path_codes = {u.id: [code_of[a] for a in ancestors[u.id] if a in code_of] for u in units}
    members: list[MemberRow] = []
    unit_totals = {u.id: Numbers() for u in units}
    unit_members: dict[int, int] = defaultdict(int)
    none: list[tuple[int, int]] = []
    for person_id, username, name, unit_id in _members(session, unit_ids):
        row = MemberRow(person_id, username, name, by_id[unit_id], (person_id, unit_id) in heads)
        for programme in applying[unit_id]:
            quota = programmes.quota_for(programme, path_codes[unit_id], row.is_head)
            numbers = _numbers(plans[programme.id], quota, counts.get((person_id, unit_id, programme.id), none))
            row.by_programme[programme.id] = numbers
            row.total.add(numbers)
        members.append(row)
        for ancestor in ancestors[unit_id]:
            if ancestor in unit_totals:
                unit_totals[ancestor].add(row.total)
                unit_members[ancestor] += 1
    return Ledger(unit, period, today, units, progs, members, unit_totals, dict(unit_members))

