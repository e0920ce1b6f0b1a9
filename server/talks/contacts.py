"""联系党员 (seed 001 annex 4 §三（一）).

* "支委委员和党小组长每半年与所联系的党员、发展对象和入党积极分子至少有1次专门面谈": the branch
  secretary (or deputy, or an org_admin above) keeps who looks after whom
  (``member_contact``, migration 0016: a committee member, deputy secretary or group leader
  of the branch or its party groups ↔ a member, development target or activist of it);
  ``contact_coverage`` tracks each one's half year like the secretary's.

The timeliness of records ("及时") is ``server.talks.views.record_timeliness``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.access import oversees
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import MemberContact, OrgUnit, Person
from server.org.tree import is_branch_member, unit_dict
from server.talks.coverage import Period
from server.talks.models import Talk
from server.talks.permissions import may_manage
from server.talks.terms import SUBJECT_ROLES, person_ref
from server.talks.views import who

CONTACT_ROLES = ("deputy_secretary", "committee_member", "group_leader")
"""支委委员和党小组长 (and the deputy secretary, a committee member too)."""


def _check_branch(unit: OrgUnit) -> None:
    if unit.type != "branch":
        raise Invalid(f"{unit.name} is a {unit.type}: 联系党员 are kept per branch",
                      [{"field": "org_unit", "message": "not a branch"}])


def contact_dict(row: MemberContact) -> dict[str, Any]:
    return {"id": row.id, "contact": who(row.contact), "member": who(row.member),
            "created_at": row.created_at.isoformat()}


def list_contacts(session: Session, viewer: Person, unit: OrgUnit) -> dict[str, Any]:
    if not may_manage(session, viewer, unit):
        raise Forbidden(f"only the managers of {unit.name} see who looks after whom")
    _check_branch(unit)
    rows = session.scalars(select(MemberContact).where(MemberContact.org_unit_id == unit.id)
                           .order_by(MemberContact.contact_id, MemberContact.member_id)).all()
    return {"org_unit": unit_dict(unit), "items": [contact_dict(r) for r in rows], "total": len(rows)}


def add_contact(session: Session, actor: Person, unit: OrgUnit, contact: Any, member: Any) -> dict[str, Any]:
    if not oversees(session, actor.id, unit):
        raise Forbidden(f"only the secretary of {unit.name} or an org_admin above assigns 联系党员")
    _check_branch(unit)
    looker, person = person_ref(session, contact, "contact"), person_ref(session, member, "member")
    problems = []
    if not is_branch_member(session, looker.id, unit, CONTACT_ROLES):
        problems.append({"field": "contact", "message": "not a committee member or group leader of this branch"})
    if not is_branch_member(session, person.id, unit, SUBJECT_ROLES):
        problems.append({"field": "member", "message": "not a member, development target or activist of this branch"})
    if looker.id == person.id:
        problems.append({"field": "member", "message": "one does not look after oneself"})
    if problems:
        raise Invalid("cannot assign: " + ", ".join(p["field"] for p in problems), problems)
    exists = session.scalar(select(MemberContact.id).where(
        MemberContact.org_unit_id == unit.id, MemberContact.contact_id == looker.id,
        MemberContact.member_id == person.id))
    if exists is not None:
        raise Conflict(f"{looker.display_name} already looks after {person.display_name}")
    row = MemberContact(org_unit_id=unit.id, contact_id=looker.id, member_id=person.id, created_by_id=actor.id,
                        created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, "talk.contact_assigned", actor=actor, org_unit_id=unit.id, contact=looker.username,
                 member=person.username)
    return contact_dict(row)


def remove_contact(session: Session, actor: Person, contact_id: int) -> None:
    row = session.get(MemberContact, contact_id)
    if row is None:
        raise NotFound(f"联系党员 assignment {contact_id} does not exist")
    unit = session.get(OrgUnit, row.org_unit_id)
    assert unit is not None
    if not oversees(session, actor.id, unit):
        raise Forbidden(f"only the secretary of {unit.name} or an org_admin above assigns 联系党员")
    audit.record(session, "talk.contact_removed", actor=actor, org_unit_id=unit.id, contact=row.contact.username,
                 member=row.member.username)
    session.delete(row)
    session.flush()


def contact_coverage(session: Session, unit: OrgUnit, half: Period) -> list[dict[str, Any]]:
    """Per contact person: the people he looks after, covered by a talk he held this half year or not."""
    rows = session.scalars(select(MemberContact).where(MemberContact.org_unit_id == unit.id)
                           .order_by(MemberContact.contact_id, MemberContact.member_id)).all()
    held = {(t.talker_id, t.subject_id) for t in session.execute(
        select(Talk.talker_id, Talk.subject_id).where(
            Talk.org_unit_id == unit.id, Talk.held_on.is_not(None), Talk.held_on >= half.start,
            Talk.held_on <= half.end))}
    per: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = per.setdefault(row.contact_id, {"contact": who(row.contact), "covered": [], "uncovered": []})
        entry["covered" if (row.contact_id, row.member_id) in held else "uncovered"].append(who(row.member))
    result = []
    for entry in per.values():
        total = len(entry["covered"]) + len(entry["uncovered"])
        result.append({**entry, "members": total, "covered_count": len(entry["covered"]),
                       "uncovered_count": len(entry["uncovered"]),
                       "ratio": round(len(entry["covered"]) / total, 4) if total else 1.0})
    return result
