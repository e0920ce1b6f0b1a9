"""The campaign's vocabulary and who is who in it: process keys, stages, grades, members and raters.

Processes (docs/campaign.md):

* ``vanguard_campaign``: one instance at the district or party committee that
  holds the plan (实施方案). Starting it creates a ``Campaign`` row and a
  ``CampaignLaunch``; ``server.campaign.launch`` then creates one
  ``vanguard_campaign_branch`` instance per target unit, in batches, outside the
  request. The parent instance is never written by its branches: its view of
  them is SQL over child instances and ledger rows (``server.campaign.board``).
* ``vanguard_campaign_branch``: one instance per branch. Members and raters are
  read from positions when the instance starts; each member's pledge runs in
  a multi-instance subprocess of that branch instance only, so a member's click
  loads and saves his own branch and nothing else.

Rules that are not expressible in a JSON Schema (dates against the timetable, who may
be rated, commendation against the appraisal) are enforced by completion handlers
(``server.campaign.ledgers``) that run before the engine sees the data; ledger rows
are written by the same handlers, in the same transaction as the completion.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.calendar.due import SHANGHAI
from server.campaign.models import (
    CampaignBranch,
    CampaignPledge,
)
from server.errors import Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import MEMBER_ROLES, is_branch_member, members_of_branch, people_of_branches
from server.workflow.hooks import Completion

CAMPAIGN = "vanguard_campaign"


BRANCH = "vanguard_campaign_branch"


STAGES = ("mobilise", "pledge", "fulfil", "review", "appraisal", "commendation")


CAMPAIGN_UNIT_TYPES = ("district", "party_committee")


QUESTIONS = ("party_spirit", "service", "vanguard")


GRADE_LABELS = {"excellent": "优秀", "qualified": "合格", "basically_qualified": "基本合格", "unqualified": "不合格"}


COMMENDABLE = ("excellent", "qualified")


def today() -> date:
    """Today's date where the organisation is (Asia/Shanghai), by the server clock."""
    return clock.now().astimezone(SHANGHAI).date()


def fulfilled_late(pledge: CampaignPledge) -> bool | None:
    """践诺 reported after the pledge's own deadline (its completion date, or the day of the report in
    Beijing, past it); None while nothing is reported (issue 19 item 5)."""
    if pledge.reported_at is None:
        return None
    reported_on = pledge.reported_at.astimezone(SHANGHAI).date()
    return reported_on > pledge.deadline or (pledge.completed_on is not None and pledge.completed_on > pledge.deadline)


def parse_date(value: Any, field_name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{field_name} must be a date (YYYY-MM-DD)",
                      [{"field": field_name, "message": "not a date"}]) from exc


def _unit(session: Session, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(f"org unit {unit_id} does not exist")
    return unit


def members_of(session: Session, unit_id: int) -> list[Person]:
    """Party members of a branch, those of its party groups included (``members_of_branch``), by username."""
    return members_of_branch(session, _unit(session, unit_id))


def raters_of(session: Session, unit_id: int) -> list[Person]:
    """Who rates in the mass appraisal: the branch's members (its party groups' included) and its
    masses representatives."""
    return members_of_branch(session, _unit(session, unit_id), RATER_ROLES)


RATER_ROLES = ("member", "masses_rep")


def members_and_raters(session: Session,
                       units: list[OrgUnit]) -> dict[int, tuple[list[str], list[str], dict[str, str]]]:
    """``members_of`` and ``raters_of`` of many branches at once (a launch's batch), by unit id:
    (members' usernames, raters' usernames, rater's username → display name)."""
    people = people_of_branches(session, units, RATER_ROLES)
    result = {}
    for unit in units:
        members: dict[str, str] = {}
        raters: dict[str, str] = {}
        for person in people[unit.id]:
            raters[person.username] = person.display_name
            if person.role in MEMBER_ROLES:
                members[person.username] = person.display_name
        result[unit.id] = (list(members), list(raters), raters)
    return result


def holds_role_in(session: Session, person: Person, unit_id: int, roles: tuple[str, ...]) -> bool:
    """Whether the person holds one of ``roles`` in the branch or one of its party groups."""
    return is_branch_member(session, person.id, _unit(session, unit_id), roles)


def target_units_query(unit: OrgUnit, unit_types: list[str]) -> Any:
    """Units of the given types in the subtree of ``unit`` (itself included), by id; not dissolved ones."""
    return (
        select(OrgUnit)
        .where(OrgUnit.path.startswith(unit.path), OrgUnit.type.in_(unit_types), OrgUnit.dissolved_at.is_(None))
        .order_by(OrgUnit.id)
    )


def branch_of(session: Session, instance_id: int) -> CampaignBranch:
    branch = session.get(CampaignBranch, instance_id)
    if branch is None:
        raise NotFound(f"process instance {instance_id} is not a campaign branch")
    return branch


def people_by_username(session: Session, usernames: list[str]) -> dict[str, Person]:
    if not usernames:
        return {}
    return {p.username: p for p in session.scalars(select(Person).where(Person.username.in_(usernames)))}


def members_in_task(c: Completion) -> list[str]:
    members = c.task.data.get("members")
    if isinstance(members, list):
        return [str(m) for m in members]
    branch = branch_of(c.session, c.task.instance_id)
    return [p.username for p in members_of(c.session, branch.org_unit_id)]


def check_people(items: list[dict[str, Any]], allowed: list[str], list_name: str,
                  exclude: str | None = None, exclude_message: str = "") -> list[dict[str, str]]:
    """Each item's ``member`` must be allowed, not excluded and not repeated."""
    problems = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        name = f"{list_name}.{i}.member"
        member = item.get("member")
        if exclude is not None and member == exclude:
            problems.append({"field": name, "message": exclude_message})
        elif member not in allowed:
            problems.append({"field": name, "message": f"'{member}' is not a member of this branch"})
        elif member in seen:
            problems.append({"field": name, "message": f"'{member}' appears more than once"})
        seen.add(str(member))
    return problems
