"""What raters and the commendation weigh a member by (重要依据), from three capabilities' ledgers.

* seed 001 §6: "对多次评选为优秀的党员要予以表扬，并作为表彰奖励的重要依据": the quarters the
  branch selected him excellent (``excellent``);
* seeds 003/004 (践诺, 评诺): his public pledges, how many were fulfilled, how many late
  (reported after their own deadline), and how the branch rated them (``pledges``);
* seed 001 annex 4 §五（三）: "党员谈心谈话整改落实情况作为党员评议的重要依据和个人评优评先的
  重要参考": the problems his talks listed, closed out, still open and overdue
  (``talk_rectification``; counts only, never the talks' content, which stays with
  its readers, docs/talks.md).

One function, ``member_basis``, read by ``GET /api/org-units/{unit}/member-basis``. Issue
18's member's year (``server/bridges/member_year.py``, activity ledgers) can merge this
per-member record into its own when both land.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.access import check_may_view_unit
from server.calendar.due import SHANGHAI
from server.campaign.models import CampaignPledge
from server.campaign.plan import fulfilled_late, today
from server.campaign.selection_views import excellent_times
from server.errors import Invalid
from server.org.models import OrgUnit, Person
from server.org.tree import members_of_branch, unit_dict
from server.talks.models import Talk, TalkProblem

CLOSED_PROBLEM_STATES = ("closed", "guided")


def _year(value: Any) -> int:
    if value is None:
        return today().year
    if isinstance(value, int) and 1950 <= value <= 2200:
        return value
    raise Invalid("year must be between 1950 and 2200", [{"field": "year", "message": "out of range"}])


def _pledges(session: Session, unit: OrgUnit, year: int) -> dict[int, dict[str, Any]]:
    rows = session.scalars(
        select(CampaignPledge).where(CampaignPledge.org_unit_id == unit.id, CampaignPledge.approved_at.is_not(None),
                                     CampaignPledge.deadline >= date(year, 1, 1),
                                     CampaignPledge.deadline <= date(year, 12, 31))
    ).all()
    per: dict[int, dict[str, Any]] = {}
    for p in rows:
        entry = per.setdefault(p.person_id, {"pledged": 0, "fulfilled": 0, "late": 0, "unfulfilled_past_deadline": 0,
                                             "ratings": {}})
        entry["pledged"] += 1
        if p.reported_at is not None:
            entry["fulfilled"] += 1
            entry["late"] += 1 if fulfilled_late(p) else 0
        elif p.deadline < today():
            entry["unfulfilled_past_deadline"] += 1
        if p.rating:
            entry["ratings"][p.rating] = entry["ratings"].get(p.rating, 0) + 1
    return per


def _rectification(session: Session, unit: OrgUnit, year: int) -> dict[int, dict[str, int]]:
    rows = session.execute(
        select(Talk.subject_id, TalkProblem.state, TalkProblem.deadline)
        .join(TalkProblem, TalkProblem.talk_id == Talk.id)
        .where(Talk.org_unit_id == unit.id, TalkProblem.created_at >= datetime(year, 1, 1, tzinfo=SHANGHAI),
               TalkProblem.created_at < datetime(year + 1, 1, 1, tzinfo=SHANGHAI))
    ).all()
    per: dict[int, dict[str, int]] = {}
    for subject_id, state, deadline in rows:
        entry = per.setdefault(subject_id, {"problems": 0, "closed": 0, "open": 0, "overdue": 0})
        entry["problems"] += 1
        if state in CLOSED_PROBLEM_STATES:
            entry["closed"] += 1
        else:
            entry["open"] += 1
            entry["overdue"] += 1 if deadline < today() else 0
    return per


def member_basis(session: Session, viewer: Person, unit: OrgUnit, year: Any = None) -> dict[str, Any]:
    """Per member of the branch (its party groups included): excellent selections, pledge
    fulfilment and talk rectification of ``year``. Anyone holding a position in the branch or
    above reads it: the raters (members, masses representatives) and the commendation."""
    check_may_view_unit(session, viewer, unit)
    if unit.type != "branch":
        raise Invalid(f"{unit.name} is a {unit.type}: the basis is kept per branch",
                      [{"field": "org_unit", "message": "not a branch"}])
    the_year = _year(year)
    excellent = excellent_times(session, unit.id)
    pledges, talks = _pledges(session, unit, the_year), _rectification(session, unit, the_year)
    empty_pledges = {"pledged": 0, "fulfilled": 0, "late": 0, "unfulfilled_past_deadline": 0, "ratings": {}}
    members = []
    for person in members_of_branch(session, unit):
        quarters = excellent.get(person.id, [])
        members.append({
            "member": person.username, "name": person.display_name,
            "excellent": {"times": len(quarters),
                          "this_year": len([q for q in quarters if q.startswith(f"{the_year}-")]),
                          "quarters": quarters, "repeatedly": len(quarters) >= 2},
            "pledges": pledges.get(person.id, empty_pledges),
            "talk_rectification": talks.get(person.id, {"problems": 0, "closed": 0, "open": 0, "overdue": 0}),
        })
    return {"org_unit": unit_dict(unit), "year": the_year, "label": "重要依据", "members": members}
