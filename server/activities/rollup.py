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

from sqlalchemy import ColumnElement, and_, case, exists, false, func, not_, or_, select
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


def _member_counts(session: Session, unit: OrgUnit) -> dict[int, int]:
    """Member rows per unit, as ``quota.compute`` lists them (active positions of active people)."""
    rows = session.execute(
        select(Position.org_unit_id, func.count())
        .join(Person, Person.id == Position.person_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(_in_subtree(unit), Position.role == "member", active_position_filter(), Person.active.is_(True))
        .group_by(Position.org_unit_id))
    return {unit_id: n for unit_id, n in rows}


def _head_members(session: Session, unit: OrgUnit) -> list[Pair]:
    """Member rows whose person is also the head of that unit."""
    head = aliased(Position)
    is_head = exists().where(head.person_id == Position.person_id, head.org_unit_id == Position.org_unit_id,
                             head.role.in_(quota.HEAD_ROLES), _active(head))
    rows = session.execute(
        select(Position.person_id, Position.org_unit_id)
        .join(Person, Person.id == Position.person_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(_in_subtree(unit), Position.role == "member", active_position_filter(), Person.active.is_(True),
               is_head))
    return [(r.person_id, r.org_unit_id) for r in rows]


def _active(position: type[Position]) -> ColumnElement[bool]:
    today = date.today()  # as server.org.tree.active_position_filter, which quota.compute uses
    return and_(or_(position.start.is_(None), position.start <= today),
                or_(position.end.is_(None), position.end >= today))


def _strays(session: Session, unit: OrgUnit) -> list[Pair]:
    """People who were members of a unit (so may have records there) but are not a member row of
    it now: the position ended (or starts later), or the person is inactive."""
    other = aliased(Position)
    still = exists().where(other.person_id == Position.person_id, other.org_unit_id == Position.org_unit_id,
                           other.role == "member", _active(other))
    rows = session.execute(
        select(Position.person_id, Position.org_unit_id).distinct()
        .join(Person, Person.id == Position.person_id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(_in_subtree(unit), Position.role == "member",
               or_(Person.active.is_(False), and_(not_(active_position_filter()), not_(still)))))
    return [(r.person_id, r.org_unit_id) for r in rows]


def _tallies(session: Session, unit: OrgUnit, plans: dict[int, quota.Plan],
             keys: dict[int, dict[int, int]]) -> list[tuple[int, int, list[int], list[int]]]:
    """Per (unit, programme): the counters summed over the periods that owe something, and over the
    periods already over."""
    counting, over = [], []
    for pid, plan in plans.items():
        if keys[pid]:
            counting.append(and_(ActivityTally.programme_id == pid, ActivityTally.period.in_(sorted(keys[pid]))))
        ended = sorted(key for key, slot in keys[pid].items() if slot in plan.over)
        if ended:
            over.append(and_(ActivityTally.programme_id == pid, ActivityTally.period.in_(ended)))
    if not counting:
        return []
    is_over = or_(*over) if over else false()
    stmt = (
        select(ActivityTally.org_unit_id, ActivityTally.programme_id, *[func.sum(c) for c in tally.LEVELS],
               *[func.sum(case((is_over, c), else_=0)) for c in tally.LEVELS])
        .join(OrgUnit, OrgUnit.id == ActivityTally.org_unit_id)
        .where(_in_subtree(unit), or_(*counting))
        .group_by(ActivityTally.org_unit_id, ActivityTally.programme_id))
    out = []
    for row in session.execute(stmt):
        sums = [int(v or 0) for v in row[2:]]
        out.append((row[0], row[1], sums[:TALLY_DEPTH], sums[TALLY_DEPTH:]))
    return out


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
    units = quota.subtree(session, unit)
    unit_ids = [u.id for u in units]
    progs = quota.active_programmes(session, unit, unit_ids)
    if any(highest_quota(p) > TALLY_DEPTH for p in progs):
        return None
    by_prog = {p.id: p for p in progs}
    plans = {p.id: quota.plan(p, period, today) for p in progs}
    keys = {p.id: _period_keys(p, plans[p.id]) for p in progs}
    ancestors = {u.id: u.ancestor_ids() for u in units}
    applying = {u.id: [p for p in progs if p.org_unit_id in ancestors[u.id]] for u in units}
    codes = quota.codes_on_paths(session, unit, units)
    unit_quota = {(u.id, p.id): programmes.quota_for(p, codes[u.id], False) for u in units for p in applying[u.id]}

    member_counts = _member_counts(session, unit)
    direct: dict[int, quota.Numbers] = defaultdict(quota.Numbers)
    for unit_id, n in member_counts.items():
        for p in applying[unit_id]:
            q, plan = unit_quota[(unit_id, p.id)], plans[p.id]
            direct[unit_id].add(quota.Numbers(n * q * plan.slots, 0, n * q * len(plan.over)))
    for unit_id, pid, levels, ended in _tallies(session, unit, plans, keys):
        applies = unit_quota.get((unit_id, pid))
        if applies is None:
            continue  # a programme that does not apply there
        done, over_done = sum(levels[:applies]), sum(ended[:applies])
        direct[unit_id].add(quota.Numbers(0, done, -over_done))

    _correct(session, unit_ids, progs, plans, applying, unit_quota, codes, direct,
             heads=[pair for pair in _head_members(session, unit)
                    if any(programmes.quota_for(p, codes[pair[1]], True) != unit_quota[(pair[1], p.id)]
                           for p in applying[pair[1]])],
             strays=_strays(session, unit))

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


def _correct(session: Session, unit_ids: list[int], progs: list[ActivityProgramme], plans: dict[int, quota.Plan],
             applying: dict[int, list[ActivityProgramme]], unit_quota: dict[Pair, int],
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


def _page(session: Session, unit: OrgUnit, units: list[OrgUnit], member_counts: dict[int, int],
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
