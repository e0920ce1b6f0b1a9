"""The quota view of a large unit from the counters (``activity_tally``), not from every record.

Issue 20: a district's year was counted record by record (3–7 s at 10,000 members). Here the
cost grows with the units and the programme periods, plus the page of members asked:

* ``due`` and the members per unit: one count of member positions grouped by unit;
* ``done`` and what is overdue: the counters summed per (unit, programme) in SQL, the first q
  levels of each taken for the unit's quota q (``min(n, q) = Σ_{k ≤ q} [n ≥ k]``);
* corrections, from the records of a few people only: the heads of units whose programme sets
  a ``head_quota`` (their own quota instead of the unit's), and people whose records are in the
  counters but who are no longer (or not yet) members of that unit, or no longer active;
* the page of members (``limit``/``offset``, in the order of ``quota.compute``): their numbers
  from their own records.

The numbers are the same as ``quota.compute``'s (tests/activities/test_quota_rollup.py compares
them on random data); ``missing=1`` and quotas above ``TALLY_DEPTH`` still go through it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, not_, or_, select
from sqlalchemy.orm import Session, aliased

from server.activities import periods, programmes, quota, tally
from server.activities.models import TALLY_DEPTH, ActivityProgramme, ActivityTally
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter

Pair = tuple[int, int]
"""(person id, unit id)."""


def highest_quota(programme: ActivityProgramme) -> int:
    return max([programme.quota, programme.head_quota or 0, *(programme.unit_quotas or {}).values()])


def _in_subtree(unit: OrgUnit) -> ColumnElement[bool]:
    return OrgUnit.path.startswith(unit.path)


def _inactive_rows(session: Session, unit: OrgUnit) -> list[tuple[int, int, bool]]:
    """(person, unit, position active today) of the member positions of inactive people
    (``ix_person_inactive``: they are few)."""
    rows = session.execute(
        select(Position.person_id, Position.org_unit_id, active_position_filter())
        .join(Person, Person.id == Position.person_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Person.active == false(), Position.role == "member", _in_subtree(unit)))  # as the index says
    return [(r[0], r[1], bool(r[2])) for r in rows]


def _member_counts(session: Session, unit: OrgUnit, inactive: list[tuple[int, int, bool]]) -> dict[int, int]:
    """Member rows per unit, as ``quota.compute`` lists them (active positions of active people):
    the active positions counted from ``position`` alone, less those of inactive people."""
    rows = session.execute(
        select(Position.org_unit_id, func.count())
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(_in_subtree(unit), Position.role == "member", active_position_filter())
        .group_by(Position.org_unit_id))
    counts = {unit_id: n for unit_id, n in rows}
    for _, unit_id, active in inactive:
        if active:
            counts[unit_id] -= 1
    return {unit_id: n for unit_id, n in counts.items() if n}


def _head_members(session: Session, unit: OrgUnit) -> list[Pair]:
    """Member rows whose person is also the head of that unit (from the heads: a few per branch)."""
    member = aliased(Position)
    rows = session.execute(
        select(member.id, member.person_id, member.org_unit_id).distinct().select_from(Position)
        .join(member, and_(member.person_id == Position.person_id, member.org_unit_id == Position.org_unit_id))
        .join(Person, Person.id == Position.person_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(_in_subtree(unit), Position.role.in_(quota.HEAD_ROLES), active_position_filter(),
               member.role == "member", _active(member), Person.active.is_(True)))
    return [(r.person_id, r.org_unit_id) for r in rows]


def _active(position: type[Position]) -> ColumnElement[bool]:
    today = date.today()  # as server.org.tree.active_position_filter, which quota.compute uses
    return and_(or_(position.start.is_(None), position.start <= today),
                or_(position.end.is_(None), position.end >= today))


def _strays(session: Session, unit: OrgUnit, inactive: list[tuple[int, int, bool]]) -> list[Pair]:
    """People who were (or will be) members of a unit but are not a member row of it today: a member
    position ended (``ix_position_end``) or starts later (``ix_position_start``) and none holds
    today, or the person is inactive."""
    other = aliased(Position)
    still = exists().where(other.person_id == Position.person_id, other.org_unit_id == Position.org_unit_id,
                           other.role == "member", _active(other))
    today = date.today()
    found = {(person, unit_id) for person, unit_id, _ in inactive}
    for outside in (Position.end < today, Position.start > today):
        found.update((r[0], r[1]) for r in session.execute(
            select(Position.person_id, Position.org_unit_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
            .where(Position.role == "member", _in_subtree(unit), outside, not_(still))))
    return sorted(found)


def _levels(q: int) -> ColumnElement[int]:
    """``min(n, q)`` summed over the unit's members: the first q counters."""
    return sum(tally.LEVELS[1:q], tally.LEVELS[0]) if q > 0 else literal(0)


def _unit_quota_sql(programme: ActivityProgramme, listed: dict[str, str]) -> ColumnElement[int]:
    """The members' capped count under the quota of their unit (``programmes.quota_for``, not a head):
    the nearest unit on the path listed in ``unit_quotas`` (deepest first), else ``quota``."""
    levels = programme.unit_quotas or {}
    paths = sorted(((listed[code], n) for code, n in levels.items() if code in listed), key=lambda pn: -len(pn[0]))
    if not paths:
        return _levels(programme.quota)
    return case(*[(OrgUnit.path.startswith(path), _levels(n)) for path, n in paths], else_=_levels(programme.quota))


def _tallies(session: Session, unit: OrgUnit, progs: list[ActivityProgramme], plans: dict[int, quota.Plan],
             keys: dict[int, dict[int, int]], owner_paths: dict[int, str | None]) -> list[tuple[int, int, int]]:
    """Per unit: (unit id, done, done in periods already over), the counters capped by the unit's
    quota in SQL, for the programmes that apply to it and their periods that owe something."""
    codes = {code for p in progs for code in (p.unit_quotas or {})}
    listed = dict(session.execute(select(OrgUnit.code, OrgUnit.path).where(OrgUnit.code.in_(codes))).all()) \
        if codes else {}
    counting, over, done = [], [], []
    for p in progs:
        if not keys[p.id]:
            continue
        applies = [] if owner_paths[p.id] is None else [OrgUnit.path.startswith(owner_paths[p.id])]
        counting.append(and_(ActivityTally.programme_id == p.id, ActivityTally.period.in_(sorted(keys[p.id])),
                             *applies))
        ended = sorted(key for key, slot in keys[p.id].items() if slot in plans[p.id].over)
        if ended:
            over.append(and_(ActivityTally.programme_id == p.id, ActivityTally.period.in_(ended)))
        done.append((ActivityTally.programme_id == p.id, _unit_quota_sql(p, listed)))
    if not counting:
        return []
    capped = case(*done, else_=0)
    is_over = or_(*over) if over else false()
    stmt = (
        select(ActivityTally.org_unit_id, func.sum(capped), func.sum(case((is_over, capped), else_=0)))
        .join(OrgUnit, OrgUnit.id == ActivityTally.org_unit_id)
        .where(_in_subtree(unit), or_(*counting))
        .group_by(ActivityTally.org_unit_id))
    return [(row[0], int(row[1] or 0), int(row[2] or 0)) for row in session.execute(stmt)]


def _period_keys(programme: ActivityProgramme, plan: quota.Plan) -> dict[int, int]:
    """The counters' period key (first month index of a cadence period) → the plan's slot."""
    out: dict[int, int] = {}
    for index, slot in plan.slot_of.items():
        key = index - index % tally.SPAN[programme.cadence]
        out.setdefault(key, slot)
    return out


def compute(session: Session, unit: OrgUnit, period: periods.Period, today: date, *, limit: int,
            offset: int) -> quota.Ledger | None:
    """The totals of every unit of the subtree and one page of members, or None when a programme's
    quota is above what the counters hold (then ``quota.compute`` answers)."""
    units: list[Any] = list(session.execute(select(
        OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.type, OrgUnit.parent_id, OrgUnit.path)
        .where(_in_subtree(unit)).order_by(OrgUnit.path)))
    unit_ids = [u.id for u in units]
    by_id = {u.id: u for u in units}
    progs = quota.active_programmes(session, unit, unit_ids)
    if any(highest_quota(p) > TALLY_DEPTH for p in progs):
        return None
    by_prog = {p.id: p for p in progs}
    plans = {p.id: quota.plan(p, period, today) for p in progs}
    keys = {p.id: _period_keys(p, plans[p.id]) for p in progs}
    ancestors = {u.id: [int(part) for part in u.path.strip("/").split("/")] for u in units}
    everywhere = [p for p in progs if p.org_unit_id not in by_id or p.org_unit_id == unit.id]
    if len(everywhere) == len(progs):
        applying = {u.id: everywhere for u in units}
    else:  # some are owned inside the subtree: only there
        applying = {u.id: [p for p in progs if p in everywhere or p.org_unit_id in ancestors[u.id]] for u in units}
    codes = quota.codes_on_paths(session, unit, units)
    unit_quota = _Quotas(by_prog, codes)

    inactive = _inactive_rows(session, unit)
    member_counts = _member_counts(session, unit, inactive)
    direct: dict[int, quota.Numbers] = defaultdict(quota.Numbers)
    owed: dict[int, tuple[int, int]] = {}  # a member's due and overdue-if-nothing-done, by applying list
    for unit_id, n in member_counts.items():
        mine = applying[unit_id]
        found = owed.get(id(mine)) if not unit_quota.varies else None
        if found is None:
            found = (sum(unit_quota[(unit_id, p.id)] * plans[p.id].slots for p in mine),
                     sum(unit_quota[(unit_id, p.id)] * len(plans[p.id].over) for p in mine))
            owed[id(mine)] = found
        direct[unit_id].add(quota.Numbers(n * found[0], 0, n * found[1]))
    owner_paths = {p.id: by_id[p.org_unit_id].path if p.org_unit_id in by_id and p.org_unit_id != unit.id else None
                   for p in progs}
    for unit_id, done, over_done in _tallies(session, unit, progs, plans, keys, owner_paths):
        direct[unit_id].add(quota.Numbers(0, done, -over_done))

    heads = [] if all(p.head_quota is None for p in progs) else [
        (person, unit_id) for person, unit_id in _head_members(session, unit)
        if any(programmes.quota_for(p, codes[unit_id], True) != unit_quota[(unit_id, p.id)] for p in applying[unit_id])]
    _correct(session, unit_ids, progs, plans, applying, unit_quota, codes, direct, heads=heads,
             strays=_strays(session, unit, inactive))

    unit_totals = {u.id: quota.Numbers() for u in units}
    unit_members: dict[int, int] = defaultdict(int)
    for unit_id, numbers in direct.items():
        for ancestor in ancestors[unit_id]:
            if ancestor in unit_totals:
                unit_totals[ancestor].add(numbers)
    for unit_id, n in member_counts.items():
        for ancestor in ancestors[unit_id]:
            if ancestor in unit_totals:
                unit_members[ancestor] += n
    members = _page(session, unit, units, member_counts, by_prog, plans, applying, codes, limit=limit, offset=offset)
    return quota.Ledger(unit, period, today, units, progs, members, unit_totals, dict(unit_members),
                        members_total=sum(member_counts.values()))


class _Quotas(dict[Pair, int]):
    """(unit id, programme id) → the quota of a member (not a head) there, computed when first asked."""

    def __init__(self, by_prog: dict[int, ActivityProgramme], codes: dict[int, list[str]]):
        super().__init__()
        self.by_prog, self.codes = by_prog, codes
        self.varies = any(p.unit_quotas for p in by_prog.values())

    def __missing__(self, key: Pair) -> int:
        unit_id, pid = key
        programme = self.by_prog[pid]
        found = programme.quota
        if programme.unit_quotas:
            found = programmes.quota_for(programme, self.codes[unit_id], False)
        self[key] = found
        return found


def _correct(session: Session, unit_ids: list[int], progs: list[ActivityProgramme], plans: dict[int, quota.Plan],
             applying: dict[int, list[ActivityProgramme]], unit_quota: _Quotas,
             codes: dict[int, list[str]], direct: dict[int, quota.Numbers], *, heads: list[Pair],
             strays: list[Pair]) -> None:
    """Heads owe their own quota; strays' records are in the counters but count for nobody."""
    days = quota.span(plans)
    if days is None or not (heads or strays):
        return
    people = sorted({person for person, _ in heads} | {person for person, _ in strays})
    found = quota.counts(session, unit_ids, [p.id for p in progs], *days, member_ids=people)
    for person, unit_id in heads:
        for p in applying[unit_id]:
            mine = found.get((person, unit_id, p.id), [])
            own = quota.numbers(plans[p.id], programmes.quota_for(p, codes[unit_id], True), mine)
            counted = quota.numbers(plans[p.id], unit_quota[(unit_id, p.id)], mine)
            direct[unit_id].add(quota.Numbers(own.due - counted.due, own.done - counted.done,
                                              own.overdue - counted.overdue))
    for person, unit_id in strays:
        for p in applying.get(unit_id, []):
            mine = found.get((person, unit_id, p.id), [])
            if not mine:
                continue
            q, plan = unit_quota[(unit_id, p.id)], plans[p.id]
            counted = quota.numbers(plan, q, mine)
            over_done = q * len(plan.over) - counted.overdue
            direct[unit_id].add(quota.Numbers(0, -counted.done, over_done))


def _page(session: Session, unit: OrgUnit, units: list[Any], member_counts: dict[int, int],
          by_prog: dict[int, ActivityProgramme], plans: dict[int, quota.Plan],
          applying: dict[int, list[ActivityProgramme]], codes: dict[int, list[str]], *, limit: int,
          offset: int) -> list[quota.MemberRow]:
    """Members ``offset`` … ``offset + limit`` in ``quota.compute``'s order (unit id, username)."""
    wanted, skip, seen = [], offset, 0
    for unit_id in sorted(member_counts):
        n = member_counts[unit_id]
        if seen + n > offset and seen < offset + limit:
            wanted.append(unit_id)
        elif seen < offset:
            skip -= n
        seen += n
    if not wanted or limit <= 0:
        return []
    rows = session.execute(
        select(Position.person_id, Person.username, Person.display_name, Position.org_unit_id)
        .join(Person, Person.id == Position.person_id)
        .where(Position.role == "member", Position.org_unit_id.in_(wanted), active_position_filter(),
               Person.active.is_(True))
        .order_by(Position.org_unit_id, Person.username).offset(skip).limit(limit)).all()
    by_id = {u.id: u for u in units}
    heads = quota.heads_of(session, wanted)
    days = quota.span(plans)
    people = sorted({r.person_id for r in rows})
    found = quota.counts(session, wanted, list(by_prog), *days, member_ids=people) if days and people else {}
    out = []
    for person_id, username, name, unit_id in rows:
        row = quota.MemberRow(person_id, username, name, by_id[unit_id], (person_id, unit_id) in heads)
        for p in applying[unit_id]:
            mine = quota.numbers(plans[p.id], programmes.quota_for(p, codes[unit_id], row.is_head),
                                 found.get((person_id, unit_id, p.id), []))
            row.by_programme[p.id] = mine
            row.total.add(mine)
        out.append(row)
    return out
