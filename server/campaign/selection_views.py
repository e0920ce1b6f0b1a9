"""What a selection round shows: its candidates, evaluations, notice board and feedback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server.access import check_may_view_unit
from server.campaign.absences import absences
from server.campaign.models import (
    SelectionCandidate,
    SelectionEvaluation,
    SelectionFeedback,
    SelectionObjection,
    SelectionRound,
)
from server.campaign.plan import holds_role_in
from server.campaign.selection import FEEDBACK_LABELS, round_of
from server.org.models import OrgUnit, Person
from server.workflow.models import ProcessInstance


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
    return [{"member": r.person.username, "name": r.person.display_name, "reason": r.reason, "status": r.status,
             "person_id": r.person_id}
            for r in rows]


def selection_dict(session: Session, person: Person, instance_id: int) -> dict[str, Any]:
    rnd = round_of(session, instance_id)
    unit = rnd.org_unit
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
        "quota_rule": "floor(members × percent / 100), percent ≤ 10: 不超过本党支部党员人数的10%",
        "notice_days": rnd.notice_days,
        "notice_started_at": rnd.notice_started_at.isoformat() if rnd.notice_started_at else None,
        "notice_until": rnd.notice_until.isoformat() if rnd.notice_until else None,
        "notice_closed_at": rnd.notice_closed_at.isoformat() if rnd.notice_closed_at else None,
        "filed_at": rnd.filed_at.isoformat() if rnd.filed_at else None,
        "confirmed_at": rnd.confirmed_at.isoformat() if rnd.confirmed_at else None,
        "candidates": candidates_of(session, instance_id, ("proposed", "confirmed", "withdrawn")),
        "objections_url": f"/api/selections/{instance_id}/objections",
        "my_feedback": None,
        "absences": absences(session, instance_id),
    }
    mine = session.scalar(select(SelectionFeedback).where(SelectionFeedback.instance_id == instance_id,
                                                          SelectionFeedback.person_id == person.id))
    if mine is not None:
        result["my_feedback"] = _feedback_dict(mine)
    result["my_objections"] = [
        {"id": o.id, "candidate": o.candidate.username, "candidate_name": o.candidate.display_name,
         "reason": o.reason, "created_at": o.created_at.isoformat(), "outcome": o.outcome,
         "outcome_label": OBJECTION_OUTCOMES.get(o.outcome or "", "待处理"), "reply": o.reply,
         "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None}
        for o in session.scalars(select(SelectionObjection).where(SelectionObjection.instance_id == instance_id,
                                                                  SelectionObjection.objector_id == person.id)
                                 .order_by(SelectionObjection.id))
    ]
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


OBJECTION_OUTCOMES = {"dismissed": "经核实不属实，维持人选", "upheld": "经核实属实，撤销人选"}


def excellent_times(session: Session, unit_id: int) -> dict[int, list[str]]:
    """Per person: the quarters in which the branch's confirmed rounds selected him excellent."""
    rows = session.execute(
        select(SelectionCandidate.person_id, SelectionRound.quarter)
        .join(SelectionRound, SelectionRound.instance_id == SelectionCandidate.instance_id)
        .where(SelectionCandidate.org_unit_id == unit_id, SelectionCandidate.status == "confirmed")
        .order_by(SelectionRound.quarter)
    ).all()
    times: dict[int, list[str]] = {}
    for person_id, quarter in rows:
        times.setdefault(person_id, []).append(quarter)
    return times


def repeatedly_excellent(session: Session, unit: OrgUnit) -> list[dict[str, Any]]:
    """"对多次评选为优秀的党员要予以表扬，并作为表彰奖励的重要依据" (seed 001 §6): members the
    branch selected excellent in two quarters or more, most often first."""
    times = {pid: quarters for pid, quarters in excellent_times(session, unit.id).items() if len(quarters) >= 2}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(list(times))))} if times else {}
    return sorted(({"member": people[pid].username, "name": people[pid].display_name, "times": len(quarters),
                    "quarters": quarters} for pid, quarters in times.items()),
                  key=lambda e: (-e["times"], e["member"]))


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
    times = excellent_times(session, unit.id)
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
                "excellent_members": [
                    {**c, "times_selected": len(times.get(c["person_id"], []))}
                    for c in candidates_of(session, rnd.instance_id, ("confirmed",))
                ],
            })
    return result
