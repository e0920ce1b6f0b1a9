"""Transfer (组织关系转接) and deactivation: the person leaves, running work stops waiting for him.

Both run in one transaction. What they do to running work, in the units he leaves (the old
branch with its party groups, for a transfer; every unit where he held a position, for a
deactivation):

1. every running instance of those units where he is an item of a running multi-instance (a
   pledge body, an appraisal vote, a self-evaluation) lets go of him through the overseer
   primitive ``server.workflow.control.withdraw_children`` (cause ``transferred`` or
   ``deactivated``, the reason, audited; the family's withdrawal hooks record what his
   absence means); the merge no longer waits for him;
2. other open tasks bound to him there (not part of a multi-instance) go to the unit's
   secretary through ``inbox.oversight.reassign`` with the reason, or, without a secretary,
   are listed as ``left_open`` for an overseer: nothing is dropped silently;
3. his positions there end yesterday (today he no longer holds them) and the role tasks he
   had claimed go back to the pool (``inbox.oversight.return_unheld_claims``).

A suspended instance is not stepped (its overseer resumes it first): it is listed as
``suspended`` in the answer, with the person still in it. He joins the new branch's work
from its next round: a running instance there does not add items to its multi-instances.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from inbox.oversight import reassign, return_unheld_claims
from server import audit
from server.errors import Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import holders, person_by_username, unit_by_ref
from server.orgadmin.authority import check_admin_over, check_admin_over_person, live_unit, reason_text
from server.orgadmin.positions import MEMBERSHIP_ROLES, open_positions, today
from server.workflow.control import RUNNING, SUSPENDED, withdraw_children
from server.workflow.models import ProcessInstance
from server.workflow.runs import load_run, lock_instance

MEMBER_UNIT_TYPES = ("branch", "party_group")


def _branch_of(session: Session, unit: OrgUnit) -> OrgUnit:
    """The branch a membership belongs to: the unit itself, or the branch above a party group."""
    if unit.type == "party_group" and unit.parent is not None:
        return unit.parent
    return unit


def transfer(session: Session, actor: Person, username: str, to_ref: int | str, reason: str | None) -> dict[str, Any]:
    """``POST /api/people/{username}/transfer``: membership moves to another branch or party group."""
    person = person_by_username(session, username)
    check_admin_over_person(session, actor, person)
    why = reason_text(reason)
    if not person.active:
        raise Invalid(f"{person.display_name} is no longer active", [{"field": "username", "message": "inactive"}])
    try:
        target = live_unit(unit_by_ref(session, to_ref), "to_unit")
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": "to_unit", "message": "unknown unit"}]) from exc
    if target.type not in MEMBER_UNIT_TYPES:
        raise Invalid(f"{target.name} is a {target.type}: members belong to a branch or a party group",
                      [{"field": "to_unit", "message": "not a branch or party group"}])
    membership = next((p for p in open_positions(session, person.id) if p.role in MEMBERSHIP_ROLES), None)
    if membership is None:
        raise Invalid(f"{person.display_name} is a member of no branch now: add a position instead",
                      [{"field": "username", "message": "no membership"}])
    if membership.org_unit_id == target.id:
        raise Invalid(f"{person.display_name} is already a member of {target.name}",
                      [{"field": "to_unit", "message": "same unit"}])
    old_branch = _branch_of(session, membership.org_unit)
    check_admin_over(session, actor, old_branch, "username")
    check_admin_over(session, actor, target, "to_unit")
    if target.path.startswith(old_branch.path):
        # between the branch and one of its party groups: he stays in the branch's work
        result = _let_go(session, actor, person, [], [membership], "transferred", why)
    else:
        units = list(session.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(old_branch.path))))
        leaving = [p for p in open_positions(session, person.id) if p.org_unit_id in set(units)]
        result = _let_go(session, actor, person, units, leaving, "transferred", why)
    session.add(Position(person_id=person.id, org_unit_id=target.id, role="member", start=today()))
    session.flush()
    audit.record(session, "person.transferred", actor=actor, person=username, from_unit=membership.org_unit.code,
                 to_unit=target.code, reason=why, withdrawn=len(result["withdrawn"]),
                 positions_ended=[p["role"] + "@" + p["org_unit"] for p in result["positions_ended"]])
    return {"person": username, "from_unit": _brief(membership.org_unit), "to_unit": _brief(target), **result}


def deactivate(session: Session, actor: Person, username: str, reason: str | None) -> dict[str, Any]:
    """``POST /api/people/{username}/deactivate``: leaving, death, suspension of membership.
    Every position ends, running work lets go of him, and he can no longer log in."""
    person = person_by_username(session, username)
    if person.id == actor.id:
        raise Invalid("you cannot deactivate yourself", [{"field": "username", "message": "yourself"}])
    check_admin_over_person(session, actor, person)
    why = reason_text(reason)
    if not person.active:
        raise Invalid(f"{person.display_name} is already inactive", [{"field": "username", "message": "inactive"}])
    leaving = open_positions(session, person.id)
    unit_ids = sorted({p.org_unit_id for p in leaving})
    result = _let_go(session, actor, person, unit_ids, leaving, "deactivated", why)
    person.active = False
    audit.record(session, "person.deactivated", actor=actor, person=username, reason=why,
                 withdrawn=len(result["withdrawn"]))
    return {"person": username, "active": False, **result}


def _let_go(session: Session, actor: Person, person: Person, unit_ids: list[int], leaving: list[Position],
            cause: str, why: str) -> dict[str, Any]:
    withdrawn, suspended = [], []
    instances = session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.org_unit_id.in_(unit_ids), ProcessInstance.state.in_((RUNNING, SUSPENDED)))
        .order_by(ProcessInstance.id)).all()
    for instance_id in instances:
        instance = lock_instance(session, instance_id)
        run = load_run(instance)
        children = [c for c in run.running_children() if c.item == person.username]
        if not children:
            continue
        if instance.state == SUSPENDED:
            suspended.append({"instance": instance.id, "title": instance.title})
            continue
        for entry in withdraw_children(session, instance, run, children, cause=cause, reason=why, actor=actor):
            withdrawn.append({"instance": instance.id, "activity": entry["activity"],
                              "waiting_at": entry["waiting_at"]})
    reassigned, left_open = [], []
    bound = session.scalars(select(Task).where(Task.bound_to_id == person.id, Task.state == OPEN,
                                               Task.org_unit_id.in_(unit_ids)).order_by(Task.id)).all()
    for task in bound:
        secretary = next((h for h in holders(session, task.org_unit_id, "secretary") if h.id != person.id
                          and h.active), None)
        if secretary is None:
            left_open.append(task.id)
            continue
        reassign(session, actor, task.id, secretary.username, why)
        reassigned.append({"task": task.id, "to": secretary.username})
    last_day = today() - timedelta(days=1)
    ended = []
    for position in leaving:
        # one that had not started yet ends the day before it would have: it was never held
        position.end = last_day if position.start is None or position.start <= last_day \
            else position.start - timedelta(days=1)
        ended.append({"role": position.role, "org_unit": position.org_unit.code})
    session.flush()
    returned = return_unheld_claims(session, person, actor, why)
    return {"withdrawn": withdrawn, "suspended": suspended, "reassigned": reassigned, "left_open": left_open,
            "returned_tasks": returned, "positions_ended": ended}


def _brief(unit: OrgUnit) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "type": unit.type}
