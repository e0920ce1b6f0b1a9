"""A branch's talk plan (谈话计划), its monthly schedule (谈心安排表) and fixed talk day.

Seed 001 annex 4 §三（一）: "党支部内每半年专门组织开展1次谈心活动，活动前要结合支部实际制定详细的
谈话计划，可按月确定谈心安排表，固定谈心工作日". One plan per branch and half year, kept by its
secretary or deputy (or an org_admin above), read by the branch committee and the units
above. ``talk_day`` is a day of the month (1–28); when it falls on a rest day the talk day is
the next working day (the official calendar, ``server.calendar``). Each entry says who talks
with whom in which month; the plan shows each entry ``held`` (a talk between the two held in
that month), ``due`` or ``missed`` (the month is over without one).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.access import oversees
from server.calendar.store import calendar_for
from server.errors import Forbidden, Invalid
from server.org.models import OrgUnit, Person
from server.org.tree import is_branch_member, unit_dict
from server.talks.coverage import Period
from server.talks.models import Talk, TalkPlan, TalkPlanEntry
from server.talks.permissions import may_manage
from server.talks.terms import SUBJECT_ROLES, TALKER_ROLES, person_ref, today
from server.talks.views import who

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


def _months(half: Period) -> list[str]:
    return [f"{half.start.year}-{m:02d}" for m in range(half.start.month, half.end.month + 1)]


def talk_days(session: Session, half: Period, talk_day: int) -> dict[str, str]:
    """Each month's fixed talk day: ``talk_day`` of the month, or the next working day."""
    calendar = calendar_for(session)
    days = {}
    for month in _months(half):
        day = date(int(month[:4]), int(month[5:]), talk_day)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        days[month] = day.isoformat()
    return days


def plan_dict(session: Session, unit: OrgUnit, half: Period, plan: TalkPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"org_unit": unit_dict(unit), "period": half.code, "talk_day": None, "talk_days": {}, "note": None,
                "entries": []}
    held = {(t.talker_id, t.subject_id, t.held_on.strftime("%Y-%m")) for t in session.execute(
        select(Talk.talker_id, Talk.subject_id, Talk.held_on).where(
            Talk.org_unit_id == unit.id, Talk.held_on.is_not(None), Talk.held_on >= half.start,
            Talk.held_on <= half.end))}
    this_month = today().strftime("%Y-%m")
    entries = []
    for e in plan.entries:
        done = (e.talker_id, e.member_id, e.month) in held
        entries.append({"month": e.month, "talker": who(e.talker), "member": who(e.member),
                        "status": "held" if done else ("missed" if e.month < this_month else "due")})
    return {"org_unit": unit_dict(unit), "period": half.code, "talk_day": plan.talk_day,
            "talk_days": talk_days(session, half, plan.talk_day), "note": plan.note, "entries": entries,
            "updated_at": plan.updated_at.isoformat()}


def get_plan(session: Session, viewer: Person, unit: OrgUnit, half: Period) -> dict[str, Any]:
    if not may_manage(session, viewer, unit):
        raise Forbidden(f"only the branch committee of {unit.name} and the organisations above it read its talk plan")
    plan = session.scalar(select(TalkPlan).where(TalkPlan.org_unit_id == unit.id, TalkPlan.period == half.code))
    return plan_dict(session, unit, half, plan)


def put_plan(session: Session, actor: Person, unit: OrgUnit, half: Period, talk_day: Any, entries: Any,
             note: Any) -> dict[str, Any]:
    """Set the half year's plan (replacing the schedule given before)."""
    if not oversees(session, actor.id, unit):
        raise Forbidden(f"only the secretary of {unit.name} or an org_admin above sets its talk plan")
    if unit.type != "branch":
        raise Invalid(f"{unit.name} is a {unit.type}: talk plans are kept per branch",
                      [{"field": "org_unit", "message": "not a branch"}])
    problems = []
    if isinstance(talk_day, bool) or not isinstance(talk_day, int) or not 1 <= talk_day <= 28:
        problems.append({"field": "talk_day", "message": "a day of the month from 1 to 28"})
    months = _months(half)
    rows: list[tuple[str, Person, Person]] = []
    for i, item in enumerate(entries if isinstance(entries, list) else []):
        item = item if isinstance(item, dict) else {}
        month = item.get("month")
        if not isinstance(month, str) or not _MONTH.match(month) or month not in months:
            problems.append({"field": f"entries.{i}.month", "message": f"a month of {half.code} ({months[0]}…)"})
            continue
        talker = person_ref(session, item.get("talker"), f"entries.{i}.talker")
        member = person_ref(session, item.get("member"), f"entries.{i}.member")
        if not (is_branch_member(session, talker.id, unit, TALKER_ROLES)):
            problems.append({"field": f"entries.{i}.talker", "message": "not the secretary, a committee member "
                                                                        "or a group leader of this branch"})
        if not is_branch_member(session, member.id, unit, SUBJECT_ROLES) or member.id == talker.id:
            problems.append({"field": f"entries.{i}.member", "message": "not a member, development target or "
                                                                        "activist of this branch"})
        rows.append((month, talker, member))
    if not isinstance(entries, list):
        problems.append({"field": "entries", "message": "a list of {month, talker, member}"})
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        problems.append({"field": "note", "message": "text of at most 2000 characters"})
    if problems:
        raise Invalid("the talk plan has errors in: " + ", ".join(p["field"] for p in problems), problems)
    plan = session.scalar(select(TalkPlan).where(TalkPlan.org_unit_id == unit.id, TalkPlan.period == half.code))
    if plan is None:
        plan = TalkPlan(org_unit_id=unit.id, period=half.code)
        session.add(plan)
    plan.talk_day, plan.note, plan.updated_by_id, plan.updated_at = talk_day, note, actor.id, clock.now()
    plan.entries = [TalkPlanEntry(month=m, talker_id=t.id, member_id=p.id) for m, t, p in rows]
    session.flush()
    audit.record(session, "talk.plan_set", actor=actor, org_unit_id=unit.id, period=half.code, talk_day=talk_day,
                 entries=len(rows))
    return get_plan(session, actor, unit, half)
