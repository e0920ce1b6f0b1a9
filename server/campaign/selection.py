"""The quarterly excellent-member selection (一名党员一面旗, seed 001 annex 3).

``excellent_member_selection`` runs per branch per quarter. Started by hand
(``POST /api/selections`` or ``start_selection``) or by the quarterly schedule of
the timer engine (a generic start of the process in every branch: the start hook
below fills in everything the process needs).

The 10% rule: a branch proposes at most ``quota(n) = max(1, floor(n × 10%))``
candidates, n being the members of the branch when the round starts. It is
enforced where the secretary submits the proposal: HTTP 422 naming the field
``candidates``.

The public notice (公示) lasts ``notice_days`` working days (default 5). Until the
timer engine fires BPMN timers for us, its end is the user task "close the
notice" whose due date is those working days; closing it earlier is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server import audit, clock
from server.calendar.due import SHANGHAI, resolve_due
from server.calendar.store import calendar_for
from server.campaign.models import (
    SelectionCandidate,
    SelectionEvaluation,
    SelectionFeedback,
    SelectionObjection,
    SelectionRound,
)
from server.campaign.rules import (
    Completion,
    _check_people,
    _members_in_task,
    _people,
    handles,
    holds_role_in,
    members_of,
)
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import person_by_username
from server.workflow.definitions import form_schema
from server.workflow.engine import Snapshot
from server.workflow.instances import lock_instance, register_save_hook, register_start_hook, start_instance
from server.workflow.models import ProcessDefinition, ProcessInstance

SELECTION = "excellent_member_selection"
DEFAULT_NOTICE_DAYS = 5
FEEDBACK_LABELS = {"affirmed": "肯定优点，提出希望", "problems": "指出问题，帮助改进", "investigate": "调查核实"}


def quota(member_count: int) -> int:
    """At most 10% of the branch's members, rounded down; at least one (small branches)."""
    return max(1, member_count // 10)


def current_quarter(when: datetime | None = None) -> str:
    local = (when or clock.now()).astimezone(SHANGHAI)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


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


def _start_hook(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    allowed = {"quarter", "notice_days", "title"}
    data = {k: v for k, v in data.items() if k in allowed}
    from inbox.service import validate_form

    validate_form(form_schema(definition, definition.start_form),
                  {k: v for k, v in data.items() if k != "title"})
    if unit.type != "branch":
        raise Invalid(f"the selection runs in a party branch; {unit.name} is a {unit.type}",
                      [{"field": "org_unit", "message": "not a branch"}])
    quarter = data.get("quarter") or current_quarter()
    running = session.scalar(
        select(SelectionRound.instance_id)
        .join(ProcessInstance, ProcessInstance.id == SelectionRound.instance_id)
        .where(SelectionRound.org_unit_id == unit.id, SelectionRound.quarter == quarter,
               ProcessInstance.state == "running")
        .limit(1)
    )
    if running is not None:
        raise Conflict(f"{unit.name} already runs the selection of {quarter} (instance {running})")
    members = members_of(session, unit.id)
    notice_days = int(data.get("notice_days") or DEFAULT_NOTICE_DAYS)
    return {
        "title": data.get("title") or f"{quarter} 优秀党员评选（{unit.name}）",
        "quarter": quarter,
        "notice_days": notice_days,
        "notice_due": f"{notice_days} working days",
        "members": [p.username for p in members],
        "member_names": {p.username: p.display_name for p in members},
        "member_count": len(members),
        "quota": quota(len(members)),
    }


def _on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if instance.lock_version != 1 or instance.definition.key != SELECTION:
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


# -- completion rules and ledger writes ---------------------------------------------------------


@handles(SELECTION, "SelfAndPeerEvaluation")
def _evaluate(c: Completion) -> bool:
    me = str(c.task.data.get("member"))
    peers = c.field("peers") or []
    problems = _check_people(peers, _members_in_task(c), "peers", exclude=me,
                             exclude_message="your own grade goes in self_grade")
    if problems:
        raise Invalid("the peer evaluation has errors in: " + ", ".join(p["field"] for p in problems), problems)
    evaluator = person_by_username(c.session, me)
    people = _people(c.session, [p["member"] for p in peers])
    c.session.add(SelectionEvaluation(instance_id=c.task.instance_id, evaluator_id=evaluator.id,
                                      subject_id=evaluator.id, grade=c.data["self_grade"],
                                      comment=c.data["self_summary"], created_at=c.now))
    for peer in peers:
        c.session.add(SelectionEvaluation(instance_id=c.task.instance_id, evaluator_id=evaluator.id,
                                          subject_id=people[peer["member"]].id, grade=peer["grade"],
                                          comment=peer.get("comment") or "", created_at=c.now))
    c.session.flush()
    return "peers" in c.confidential


@handles(SELECTION, "ProposeCandidates")
def _propose(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    candidates = c.data.get("candidates") or []
    if len(candidates) > rnd.quota:
        raise Invalid(
            f"at most {rnd.quota} candidate(s): 10% of the branch's {rnd.member_count} members, rounded down, "
            f"at least one; {len(candidates)} proposed",
            [{"field": "candidates", "message": f"at most {rnd.quota} (10% of {rnd.member_count} members)",
              "rule": "quota"}],
        )
    problems = _check_people(candidates, _members_in_task(c), "candidates")
    if problems:
        raise Invalid("the proposal has errors in: " + ", ".join(p["field"] for p in problems), problems)
    people = _people(c.session, [item["member"] for item in candidates])
    for item in candidates:
        c.session.add(SelectionCandidate(instance_id=rnd.instance_id, org_unit_id=rnd.org_unit_id,
                                         person_id=people[item["member"]].id, reason=item["reason"],
                                         status="proposed", created_at=c.now))
    rnd.notice_started_at = c.now
    rnd.notice_until = resolve_due(f"{rnd.notice_days} working days", ready_at=c.now,
                                   calendar=calendar_for(c.session)).due_at
    audit.record(c.session, "selection.notice_started", actor=c.person, instance_id=rnd.instance_id,
                 candidates=[item["member"] for item in candidates], until=rnd.notice_until.isoformat())


def _notice_until(c: Completion, rnd: SelectionRound) -> datetime | None:
    return c.task.due_at or rnd.notice_until


@handles(SELECTION, "CloseNotice")
def _close_notice(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    until = _notice_until(c, rnd)
    if until is not None and c.now <= until:
        local = until.astimezone(SHANGHAI)
        raise Invalid(
            f"the public notice runs for {rnd.notice_days} working days, until {local:%Y-%m-%d %H:%M}; "
            "it can be closed after that",
            [{"field": None, "message": f"notice open until {local.isoformat()}", "rule": "notice_period"}],
        )
    open_objections = c.session.scalars(
        select(SelectionObjection).where(SelectionObjection.instance_id == rnd.instance_id,
                                         SelectionObjection.outcome.is_(None))
        .order_by(SelectionObjection.id)
    ).all()
    rnd.notice_closed_at = c.now
    # Who objected stays in the ledger; the process (and the secretary's task) sees what and against whom.
    c.data["objection_count"] = len(open_objections)
    c.data["objections"] = [
        {"objection_id": o.id, "candidate": o.candidate.username, "candidate_name": o.candidate.display_name,
         "reason": o.reason}
        for o in open_objections
    ]


@handles(SELECTION, "ResolveObjections")
def _resolve(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    pending = {o.id: o for o in c.session.scalars(
        select(SelectionObjection).where(SelectionObjection.instance_id == rnd.instance_id,
                                         SelectionObjection.outcome.is_(None)))}
    problems = []
    seen: set[int] = set()
    resolutions = c.data.get("resolutions") or []
    for i, item in enumerate(resolutions):
        oid = item.get("objection_id")
        if oid not in pending:
            problems.append({"field": f"resolutions.{i}.objection_id",
                             "message": f"objection {oid} is not open in this selection"})
        elif oid in seen:
            problems.append({"field": f"resolutions.{i}.objection_id", "message": f"objection {oid} twice"})
        seen.add(oid)
    missing = sorted(set(pending) - seen)
    if missing:
        problems.append({"field": "resolutions",
                         "message": f"resolve every objection; missing: {', '.join(map(str, missing))}"})
    if problems:
        raise Invalid("the resolutions have errors in: " + ", ".join(p["field"] for p in problems), problems)
    withdrawn = set()
    for item in resolutions:
        objection = pending[item["objection_id"]]
        objection.outcome = item["outcome"]
        objection.reply = item["reply"]
        objection.resolved_by_id = c.person.id
        objection.resolved_at = c.now
        if item["outcome"] == "upheld":
            withdrawn.add(objection.candidate_id)
    if withdrawn:
        for candidate in c.session.scalars(
            select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                             SelectionCandidate.person_id.in_(withdrawn))
        ):
            candidate.status = "withdrawn"
    c.data["candidates_after_notice"] = [
        cand.person.username for cand in c.session.scalars(
            select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                             SelectionCandidate.status == "proposed"))
    ]


@handles(SELECTION, "FileRecord")
def _file(c: Completion) -> None:
    rnd = round_of(c.session, c.task.instance_id)
    rnd.report = c.data["report"]
    rnd.filed_at = c.now


@handles(SELECTION, "ConfirmRecord")
def _confirm(c: Completion) -> None:
    if c.data["decision"] != "approve":
        return
    rnd = round_of(c.session, c.task.instance_id)
    rnd.confirmed_at = c.now
    rnd.confirmed_by_id = c.person.id
    for candidate in c.session.scalars(
        select(SelectionCandidate).where(SelectionCandidate.instance_id == rnd.instance_id,
                                         SelectionCandidate.status == "proposed")
    ):
        candidate.status = "confirmed"


@handles(SELECTION, "GiveFeedback")
def _feedback(c: Completion) -> bool:
    rnd = round_of(c.session, c.task.instance_id)
    items = c.field("feedback") or []
    members = _members_in_task(c)
    problems = _check_people(items, members, "feedback")
    given = {item.get("member") for item in items}
    missing = [m for m in members if m not in given]
    if missing:
        problems.append({"field": "feedback", "message": f"give every member feedback; missing: {', '.join(missing)}"})
    if problems:
        raise Invalid("the feedback has errors in: " + ", ".join(p["field"] for p in problems), problems)
    people = _people(c.session, [item["member"] for item in items])
    for item in items:
        c.session.add(SelectionFeedback(instance_id=rnd.instance_id, person_id=people[item["member"]].id,
                                        grade=item["grade"], comment=item["comment"], given_by_id=c.person.id,
                                        given_at=c.now))
    rnd.feedback_at = c.now
    # The content stays in the ledger (each member reads his own); the process needs only who.
    c.data["feedback_recipients"] = [item["member"] for item in items]
    c.data["investigate_list"] = [item["member"] for item in items if item["grade"] == "investigate"]
    return "feedback" in c.confidential


def _feedback_row(c: Completion, username: str) -> SelectionFeedback:
    person = person_by_username(c.session, username)
    row = c.session.scalar(select(SelectionFeedback).where(SelectionFeedback.instance_id == c.task.instance_id,
                                                           SelectionFeedback.person_id == person.id))
    if row is None:
        raise Conflict(f"no feedback on record for {person.display_name}")
    return row


@handles(SELECTION, "AcknowledgeFeedback")
def _acknowledge(c: Completion) -> None:
    row = _feedback_row(c, str(c.task.data.get("recipient")))
    row.acknowledged_at = c.now
    row.response = c.data.get("response")


@handles(SELECTION, "InvestigateMember")
def _investigate(c: Completion) -> None:
    row = _feedback_row(c, str(c.task.data.get("suspect")))
    row.findings = c.data["findings"]
    row.action = c.data["action"]
    row.investigated_at = c.now


# -- objections during the notice -----------------------------------------------------------------


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


# -- views ----------------------------------------------------------------------------------------


def _is_manager(session: Session, person: Person, unit: OrgUnit) -> bool:
    """The branch's secretary or deputy, or a secretary/deputy/org_admin of a unit above."""
    if holds_role_in(session, person, unit.id, ("secretary", "deputy_secretary", "org_admin")):
        return True
    above = unit.ancestor_ids()[:-1]
    return any(holds_role_in(session, person, uid, ("secretary", "deputy_secretary", "org_admin")) for uid in above)


def candidates_of(session: Session, instance_id: int, statuses: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SelectionCandidate).where(SelectionCandidate.instance_id == instance_id,
                                         SelectionCandidate.status.in_(statuses))
        .order_by(SelectionCandidate.id)
    ).all()
    return [{"member": r.person.username, "name": r.person.display_name, "reason": r.reason, "status": r.status}
            for r in rows]


def selection_dict(session: Session, person: Person, instance_id: int) -> dict[str, Any]:
    rnd = round_of(session, instance_id)
    unit = rnd.org_unit
    from server.campaign.rules import check_may_view_unit

    check_may_view_unit(session, person, unit)
    instance = session.get(ProcessInstance, instance_id)
    assert instance is not None
    manager = _is_manager(session, person, unit)
    result: dict[str, Any] = {
        "instance_id": instance_id,
        "org_unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        "quarter": rnd.quarter,
        "state": instance.state,
        "stage": instance.stage,
        "stage_label": instance.stage_label,
        "member_count": rnd.member_count,
        "quota": rnd.quota,
        "quota_rule": "floor(members × 10%), at least 1",
        "notice_days": rnd.notice_days,
        "notice_started_at": rnd.notice_started_at.isoformat() if rnd.notice_started_at else None,
        "notice_until": rnd.notice_until.isoformat() if rnd.notice_until else None,
        "notice_closed_at": rnd.notice_closed_at.isoformat() if rnd.notice_closed_at else None,
        "filed_at": rnd.filed_at.isoformat() if rnd.filed_at else None,
        "confirmed_at": rnd.confirmed_at.isoformat() if rnd.confirmed_at else None,
        "candidates": candidates_of(session, instance_id, ("proposed", "confirmed", "withdrawn")),
        "objections_url": f"/api/selections/{instance_id}/objections",
        "my_feedback": None,
    }
    mine = session.scalar(select(SelectionFeedback).where(SelectionFeedback.instance_id == instance_id,
                                                          SelectionFeedback.person_id == person.id))
    if mine is not None:
        result["my_feedback"] = _feedback_dict(mine)
    if manager:
        result["evaluations"] = evaluation_summary(session, instance_id)
        result["objections"] = [
            {"id": o.id, "candidate": o.candidate.username, "candidate_name": o.candidate.display_name,
             "reason": o.reason, "created_at": o.created_at.isoformat(), "outcome": o.outcome, "reply": o.reply}
            for o in session.scalars(select(SelectionObjection).where(SelectionObjection.instance_id == instance_id)
                                     .order_by(SelectionObjection.id))
        ]
        result["feedback"] = [
            _feedback_dict(f) for f in session.scalars(
                select(SelectionFeedback).where(SelectionFeedback.instance_id == instance_id)
                .order_by(SelectionFeedback.id))
        ]
    return result


def _feedback_dict(row: SelectionFeedback) -> dict[str, Any]:
    return {
        "member": row.person.username, "name": row.person.display_name, "grade": row.grade,
        "grade_label": FEEDBACK_LABELS.get(row.grade, row.grade), "comment": row.comment,
        "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
        "findings": row.findings, "action": row.action,
    }


def evaluation_summary(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """Per member: his self grade and the count of peer grades (peers stay anonymous)."""
    rows = session.execute(
        select(SelectionEvaluation.subject_id, SelectionEvaluation.evaluator_id, SelectionEvaluation.grade)
        .where(SelectionEvaluation.instance_id == instance_id)
    ).all()
    per: dict[int, dict[str, Any]] = {}
    for subject_id, evaluator_id, grade in rows:
        entry = per.setdefault(subject_id, {"self_grade": None, "peer": {}})
        if subject_id == evaluator_id:
            entry["self_grade"] = grade
        else:
            entry["peer"][grade] = entry["peer"].get(grade, 0) + 1
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(per))))} if per else {}
    return sorted(
        ({"member": people[pid].username, "name": people[pid].display_name, **entry} for pid, entry in per.items()),
        key=lambda e: e["member"],
    )


def notice_board(session: Session, unit: OrgUnit) -> list[dict[str, Any]]:
    """Selections of a branch whose notice is open (candidates, until when, where to object), and the
    confirmed excellent members of its latest confirmed round."""
    rounds = session.scalars(
        select(SelectionRound).where(SelectionRound.org_unit_id == unit.id)
        .order_by(SelectionRound.instance_id.desc()).limit(8)
    ).all()
    result = []
    for rnd in rounds:
        open_notice = session.scalar(
            select(func.count(Task.id)).where(Task.instance_id == rnd.instance_id, Task.element_id == "CloseNotice",
                                              Task.state == OPEN)
        )
        if open_notice:
            result.append({
                "instance_id": rnd.instance_id, "quarter": rnd.quarter, "status": "notice",
                "notice_until": rnd.notice_until.isoformat() if rnd.notice_until else None,
                "candidates": candidates_of(session, rnd.instance_id, ("proposed",)),
                "objections_url": f"/api/selections/{rnd.instance_id}/objections",
            })
        elif rnd.confirmed_at is not None:
            result.append({
                "instance_id": rnd.instance_id, "quarter": rnd.quarter, "status": "confirmed",
                "confirmed_at": rnd.confirmed_at.isoformat(),
                "excellent_members": candidates_of(session, rnd.instance_id, ("confirmed",)),
            })
    return result


register_start_hook(SELECTION, _start_hook)
register_save_hook(_on_saved)
