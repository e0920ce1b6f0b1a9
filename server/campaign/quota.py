"""The selection's quota: "每次评选出的优秀党员不超过本党支部党员人数的10%" (seed 001, annex 3 §2).

* ``n`` is the branch's true membership: its members and those registered in its party
  groups, each once (``server.org.tree.members_of_branch``), the same count the talk
  coverage and the campaign's raters use.
* The quota is ``floor(n × percent / 100)``: never above 10% ("不超过"), so a branch of
  fewer than 10 members selects nobody in a round. Rounding up or "at least one" would let
  a 3-member branch select 33%, which the seed forbids.
* Where the seed leaves room, the organisation that owns the selection decides
  (``SelectionRule``, set on the branch or any unit above it; the nearest setting wins):
  a lower percentage (1–10), and whether a branch whose quota is 0 still runs its round
  (``evaluate``: self and peer evaluation, notice of no candidate, feedback to every member)
  or has no round that quarter (``no_round``: a manual start is refused, the quarterly
  schedule passes it by).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.campaign.models import SelectionRule
from server.errors import Forbidden, Invalid
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, ancestors, unit_dict

MAX_PERCENT = 10


SMALL_BRANCH = {"evaluate": "开展评议，不评选优秀党员", "no_round": "本季度不开展评选"}


RULE_UNIT_TYPES = ("district", "party_committee", "general_branch", "branch")


@dataclass(frozen=True)
class Rule:
    percent: int
    small_branch: str
    set_at_unit: OrgUnit | None
    """The unit whose setting applies; None for the default."""

    def quota(self, member_count: int) -> int:
        return member_count * self.percent // 100


DEFAULT = Rule(MAX_PERCENT, "evaluate", None)


def quota(member_count: int, percent: int = MAX_PERCENT) -> int:
    """At most ``percent`` (≤ 10) of the members, rounded down: never above 10%."""
    return member_count * min(percent, MAX_PERCENT) // 100


def rule_for(session: Session, unit: OrgUnit) -> Rule:
    """The nearest setting on the branch's path (itself first), else the default."""
    chain = ancestors(session, unit)
    rows = {r.org_unit_id: r for r in session.scalars(
        select(SelectionRule).where(SelectionRule.org_unit_id.in_([u.id for u in chain])))}
    for owner in reversed(chain):
        row = rows.get(owner.id)
        if row is not None:
            return Rule(row.percent, row.small_branch, owner)
    return DEFAULT


def may_set_rule(session: Session, person: Person, unit: OrgUnit) -> bool:
    """An org_admin of the unit or above; the secretary of a unit above the branches, for his unit
    and the units under it (the organisation that owns its branches' selections: the filing goes
    to it). A branch does not set its own quota."""
    above = [u.id for u in ancestors(session, unit) if u.type not in ("branch", "party_group")]
    found = session.scalar(
        select(Position.id).where(
            Position.person_id == person.id, active_position_filter(),
            (Position.org_unit_id.in_(unit.ancestor_ids()) & (Position.role == "org_admin"))
            | (Position.org_unit_id.in_(above) & (Position.role == "secretary")),
        ).limit(1)
    )
    return found is not None


def rule_dict(session: Session, unit: OrgUnit, person: Person) -> dict[str, Any]:
    rule = rule_for(session, unit)
    own = session.get(SelectionRule, unit.id)
    return {
        "org_unit": unit_dict(unit),
        "percent": rule.percent,
        "small_branch": rule.small_branch,
        "small_branch_label": SMALL_BRANCH[rule.small_branch],
        "set_at": unit_dict(rule.set_at_unit) if rule.set_at_unit else None,
        "note": own.note if own else None,
        "own_setting": own is not None,
        "example": {str(n): rule.quota(n) for n in (5, 9, 10, 19, 20, 35, 50)},
        "may_edit": may_set_rule(session, person, unit),
    }


def set_rule(session: Session, person: Person, unit: OrgUnit, percent: Any, small_branch: Any,
             note: Any) -> dict[str, Any]:
    if not may_set_rule(session, person, unit):
        raise Forbidden(f"only an org_admin of {unit.name} or above, or the secretary of a unit above the "
                        "branches, sets the selection rule")
    if unit.type not in RULE_UNIT_TYPES:
        raise Invalid(f"{unit.name} is a {unit.type}; the rule is set on a branch or a unit above it",
                      [{"field": "org_unit", "message": "a party group holds no selection"}])
    problems = []
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= MAX_PERCENT:
        problems.append({"field": "percent",
                         "message": "a whole number from 1 to 10: the seed says 不超过本党支部党员人数的10%"})
    if small_branch not in SMALL_BRANCH:
        problems.append({"field": "small_branch", "message": f"one of {', '.join(SMALL_BRANCH)}"})
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        problems.append({"field": "note", "message": "text of at most 1000 characters"})
    if problems:
        raise Invalid("the selection rule has errors in: " + ", ".join(p["field"] for p in problems), problems)
    row = session.get(SelectionRule, unit.id)
    if row is None:
        row = SelectionRule(org_unit_id=unit.id)
        session.add(row)
    row.percent, row.small_branch, row.note = percent, small_branch, note
    row.set_by_id, row.set_at = person.id, clock.now()
    session.flush()
    audit.record(session, "selection.rule_set", actor=person, org_unit_id=unit.id, percent=percent,
                 small_branch=small_branch)
    return rule_dict(session, unit, person)
