"""A member's year at a glance, read from the ledgers (issue 18 item 5).

The seeds make activity participation an "重要参考/依据" of the annual appraisal (seed 000:
"纳入民主评议党员，作为党内评先评优的重要参考"; annex 6 of seed 001: "作为民主评议党员的重要内容和
党员评先评优的重要依据"). The rater in the mass appraisal (``MassAppraisal``) and the secretary
proposing excellent members (``ProposeCandidates``) see, for each member of the branch: his
activities against quota, his pledges and their fulfilment, the problem items of his talks and
their rectification, and the quarters he was selected an excellent member.

``member_years`` is one small function returning plain dataclasses; issue 19 (fulfilment feeds
judgement) adds its own reading of pledges and talks to ``MemberYear``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox import actions
from server.activities import periods, quota
from server.campaign.models import CampaignPledge, SelectionCandidate, SelectionRound
from server.errors import NotFound
from server.org.models import OrgUnit, Person
from server.talks.models import TalkProblem

TASKS = {("vanguard_campaign_branch", "MassAppraisal"), ("excellent_member_selection", "ProposeCandidates")}
"""The task pages that show the members' years."""


@dataclass
class MemberYear:
    person_id: int
    username: str
    name: str
    year: int
    activities: dict[str, int]
    """due, done, missing, overdue over the year so far (confirmed records only)."""
    pledges: dict[str, int] = field(default_factory=dict)
    """made, fulfilled (reported or rated), and the count of each rating."""
    talk_problems: dict[str, int] = field(default_factory=dict)
    """open, closed, overdue problem items he owns."""
    selections: list[str] = field(default_factory=list)
    """Quarters he was confirmed an excellent member (e.g. 2026Q2)."""

    def as_dict(self) -> dict[str, Any]:
        return {"person": {"id": self.person_id, "username": self.username, "name": self.name}, "year": self.year,
                "activities": self.activities, "pledges": self.pledges, "talk_problems": self.talk_problems,
                "selections": self.selections}


def member_years(session: Session, unit: OrgUnit, year: int, today: date) -> list[MemberYear]:
    """Every member of ``unit``'s subtree, his year to ``today``; a few grouped queries in all."""
    ledger = quota.compute(session, unit, periods.year_of(year), today)
    people = [m.person_id for m in ledger.members]
    start, end = date(year, 1, 1), date(year, 12, 31)
    pledges: dict[int, dict[str, int]] = defaultdict(lambda: {"made": 0, "fulfilled": 0})
    for person_id, state, rating, n in session.execute(
            select(CampaignPledge.person_id, CampaignPledge.state, CampaignPledge.rating, func.count())
            .where(CampaignPledge.person_id.in_(people), CampaignPledge.deadline >= start,
                   CampaignPledge.deadline <= end)
            .group_by(CampaignPledge.person_id, CampaignPledge.state, CampaignPledge.rating)):
        pledges[person_id]["made"] += n
        if state in ("reported", "rated"):
            pledges[person_id]["fulfilled"] += n
        if rating:
            pledges[person_id][f"rated_{rating}"] = pledges[person_id].get(f"rated_{rating}", 0) + n
    problems: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "closed": 0, "overdue": 0})
    for owner_id, state, deadline in session.execute(
            select(TalkProblem.owner_id, TalkProblem.state, TalkProblem.deadline)
            .where(TalkProblem.owner_id.in_(people), TalkProblem.deadline >= start, TalkProblem.deadline <= end)):
        problems[owner_id]["closed" if state == "closed" else "open"] += 1
        if state != "closed" and deadline < today:
            problems[owner_id]["overdue"] += 1
    selections: dict[int, list[str]] = defaultdict(list)
    for person_id, quarter in session.execute(
            select(SelectionCandidate.person_id, SelectionRound.quarter)
            .join(SelectionRound, SelectionRound.instance_id == SelectionCandidate.instance_id)
            .where(SelectionCandidate.person_id.in_(people), SelectionCandidate.status == "confirmed")
            .order_by(SelectionRound.quarter)):
        selections[person_id].append(quarter)
    return [MemberYear(m.person_id, m.username, m.name, year, m.total.as_dict(), dict(pledges[m.person_id]),
                       dict(problems[m.person_id]), selections[m.person_id]) for m in ledger.members]


def appraisal_year(today: date) -> int:
    """The year an appraisal looks back on: this year, or last year in January and February
    (the year-end 组织生活会 and appraisals often run into the new year)."""
    return today.year if today.month > 2 else today.year - 1


def for_task(session: Session, person: Person, task_id: int, today: date) -> dict[str, Any]:
    """The members' years shown on a rating or proposing task, for whoever may see the task."""
    actions.get_task(session, person, task_id)
    task = actions.get_row(session, task_id)
    if (task.process_key, task.element_id) not in TASKS:
        raise NotFound("this task shows no members' years (only the mass appraisal and proposing excellent members)")
    unit = task.instance.org_unit
    year = appraisal_year(today)
    return {"task_id": task.id, "org_unit": {"id": unit.id, "code": unit.code, "name": unit.name}, "year": year,
            "members": [y.as_dict() for y in member_years(session, unit, year, today)]}
