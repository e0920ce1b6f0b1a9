"""The quarterly excellent-member selection (一名党员一面旗, seed 001 annex 3).

``excellent_member_selection`` runs per branch per quarter. Started by hand
(``POST /api/selections`` or ``start_selection``) or by the quarterly schedule of
the timer engine (a generic start of the process in every branch: the start hook
below fills in everything the process needs).

The 10% rule (``server.campaign.quota``): a branch proposes at most
``floor(n × percent / 100)`` candidates, percent ≤ 10 as its owning organisation set it,
n being the members of the branch and of its party groups when the round starts. It
is enforced where the secretary submits the proposal: HTTP 422 naming the field
``candidates``.

The public notice (公示) lasts ``notice_days`` working days (default 5). Until the
timer engine fires BPMN timers for us, its end is the user task "close the
notice" whose due date is those working days; closing it earlier is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.forms import validate_form
from inbox.models import OPEN, Task
from server import audit, clock
from server.calendar.due import SHANGHAI
from server.campaign.models import (
    SelectionCandidate,
    SelectionObjection,
    SelectionRound,
)
from server.campaign.plan import holds_role_in, members_of
from server.campaign.quota import rule_for
from server.errors import Conflict, Declined, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.workflow.definitions import form_schema
from server.workflow.engine import Snapshot
from server.workflow.instances import start_instance
from server.workflow.models import ProcessDefinition, ProcessInstance
from server.workflow.runs import lock_instance

SELECTION = "excellent_member_selection"


DEFAULT_NOTICE_DAYS = 5


FEEDBACK_LABELS = {"affirmed": "肯定优点，提出希望", "problems": "指出问题，帮助改进", "investigate": "调查核实"}


def current_quarter(when: datetime | None = None) -> str:
    local = (when or clock.now()).astimezone(SHANGHAI)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def _check_quarter(quarter: str) -> None:
    """A round runs in its own quarter: a past quarter is over, a future one has not begun."""
    now = current_quarter()
    if quarter < now:
        raise Invalid(f"{quarter} is over: a selection runs in its own quarter (now {now})",
                      [{"field": "quarter", "message": "a past quarter"}])
    if quarter > now:
        raise Invalid(f"{quarter} has not begun: a selection runs in its own quarter (now {now})",
                      [{"field": "quarter", "message": "a future quarter"}])


def start_selection(
    session: Session,
    unit: OrgUnit | int | str,
    *,
    quarter: str | None = None,
    notice_days: int | None = None,
    actor: Person | None = None,
) -> ProcessInstance:
    """Start this quarter's selection in one branch (the plain function for schedules).

    With ``actor`` the start is checked against the process's ``starter`` roles
    (secretary of the branch or an org_admin above it); without, it is the system.
    """
    ref = unit.id if isinstance(unit, OrgUnit) else unit
    data: dict[str, Any] = {}
    if quarter is not None:
        data["quarter"] = quarter
    if notice_days is not None:
        data["notice_days"] = notice_days
    return start_instance(session, process_key=SELECTION, org_unit=ref, data=data, actor=actor)


def start_hook(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    allowed = {"quarter", "notice_days", "title"}
    data = {k: v for k, v in data.items() if k in allowed}
    validate_form(form_schema(definition, definition.start_form),
                  {k: v for k, v in data.items() if k != "title"})
    if unit.type != "branch":
        raise Invalid(f"the selection runs in a party branch; {unit.name} is a {unit.type}",
                      [{"field": "org_unit", "message": "not a branch"}])
    quarter = data.get("quarter") or current_quarter()
    _check_quarter(quarter)
    earlier = session.scalar(
        select(SelectionRound.instance_id)
        .join(ProcessInstance, ProcessInstance.id == SelectionRound.instance_id)
        .where(SelectionRound.org_unit_id == unit.id, SelectionRound.quarter == quarter,
               ProcessInstance.state != "cancelled")
        .limit(1)
    )
    if earlier is not None:
        raise Declined(f"{unit.name} already had the selection of {quarter} (instance {earlier}); "
                       "the seed asks for one round a quarter")
    members = members_of(session, unit.id)
    rule = rule_for(session, unit)
    if rule.quota(len(members)) == 0 and rule.small_branch == "no_round":
        owner = rule.set_at_unit.name if rule.set_at_unit else "the default"
        raise Declined(f"{unit.name} has {len(members)} members: {rule.percent}% of them is less than one, and "
                       f"the rule of {owner} holds no round for such a branch",
                       [{"field": "org_unit", "message": "no round for a branch whose quota is 0",
                         "rule": "small_branch"}])
    notice_days = int(data.get("notice_days") or DEFAULT_NOTICE_DAYS)
    return {
        "title": data.get("title") or f"{quarter} 优秀党员评选（{unit.name}）",
        "quarter": quarter,
        "notice_days": notice_days,
        "notice_due": f"{notice_days} working days",
        "members": [p.username for p in members],
        "member_names": {p.username: p.display_name for p in members},
        "member_count": len(members),
        "quota": rule.quota(len(members)),
        "quota_percent": rule.percent,
    }


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if instance.lock_version != 1:  # its first save
        return
    data = snapshot.data
    session.add(SelectionRound(
        instance_id=instance.id, org_unit_id=instance.org_unit_id, quarter=data["quarter"],
        member_count=data["member_count"], quota=data["quota"], notice_days=data["notice_days"],
        created_at=clock.now(),
    ))
    session.flush()


def round_of(session: Session, instance_id: int) -> SelectionRound:
    found = session.get(SelectionRound, instance_id)
    if found is None:
        raise NotFound(f"process instance {instance_id} is not a selection round")
    return found


def raise_objection(session: Session, person: Person, instance_id: int, candidate: str,
                    reason: Any) -> dict[str, Any]:
    """A member or masses representative of the branch objects to a candidate under notice."""
    rnd = round_of(session, instance_id)
    lock_instance(session, instance_id)  # serialises with closing the notice
    if not holds_role_in(session, person, rnd.org_unit_id, ("member", "masses_rep")):
        raise Forbidden("only members and masses representatives of the branch may object")
    notice_open = session.scalar(
        select(Task.id).where(Task.instance_id == instance_id, Task.element_id == "CloseNotice", Task.state == OPEN)
    )
    if notice_open is None or (rnd.notice_until is not None and clock.now() > rnd.notice_until):
        raise Conflict("the public notice of this selection is not open")
    target = session.scalar(
        select(SelectionCandidate).join(Person, Person.id == SelectionCandidate.person_id)
        .where(SelectionCandidate.instance_id == instance_id, Person.username == candidate,
               SelectionCandidate.status == "proposed")
    )
    if target is None:
        raise Invalid(f"'{candidate}' is not a candidate under notice",
                      [{"field": "candidate", "message": "not under notice"}])
    if target.person_id == person.id:
        raise Invalid("a candidate cannot object to himself", [{"field": "candidate", "message": "yourself"}])
    if not isinstance(reason, str) or len(reason.strip()) < 2:
        raise Invalid("give the reason for the objection", [{"field": "reason", "message": "required"}])
    exists = session.scalar(
        select(SelectionObjection.id).where(SelectionObjection.instance_id == instance_id,
                                            SelectionObjection.candidate_id == target.person_id,
                                            SelectionObjection.objector_id == person.id)
    )
    if exists is not None:
        raise Conflict("you have already objected to this candidate")
    objection = SelectionObjection(instance_id=instance_id, candidate_id=target.person_id, objector_id=person.id,
                                   reason=reason.strip()[:2000], created_at=clock.now())
    session.add(objection)
    session.flush()
    audit.record(session, "selection.objection", actor=None, instance_id=instance_id, objection_id=objection.id,
                 candidate=candidate)
    return {"id": objection.id, "candidate": candidate, "reason": objection.reason,
            "created_at": objection.created_at.isoformat()}
