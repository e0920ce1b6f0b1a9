"""Talks as their readers see them: a talk, its problem items, the lists a person may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inbox.models import OPEN, Task
from server.calendar.due import SHANGHAI
from server.calendar.store import calendar_for
from server.org.models import OrgUnit, Person
from server.org.tree import holds_any, unit_dict
from server.talks.models import Talk, TalkBreach, TalkProblem
from server.talks.permissions import (
    is_secretary,
    may_read_record,
    read_confidential,
    require_unit_records,
    viewable,
)
from server.talks.terms import (
    FOLLOW_UP_RESULTS,
    FOLLOW_UP_ROLES,
    KIND_LABELS,
    STATE_LABELS,
    TRIGGERS,
    iso,
    today,
)


def who(person: Person | None) -> dict[str, str] | None:
    return {"username": person.username, "name": person.display_name} if person else None


def problem_dict(problem: TalkProblem, on: date | None = None) -> dict[str, Any]:
    on = on or today()
    return {
        "id": problem.id,
        "talk_id": problem.talk_id,
        "seq": problem.seq,
        "description": problem.description,
        "owner": who(problem.owner),
        "measure": problem.measure,
        "deadline": problem.deadline.isoformat(),
        "state": problem.state,
        "overdue": problem.state != "closed" and problem.deadline < on,
        "follow_ups": [
            {"at": iso(f.at), "by": who(f.by), "result": f.result, "result_label": FOLLOW_UP_RESULTS.get(f.result),
             "note": f.note}
            for f in problem.follow_ups
        ],
        "closed_at": iso(problem.closed_at),
        "closed_by": who(problem.closed_by),
        "close_criteria": problem.close_criteria,
        "closed_as": None if problem.state != "closed" else (
            "guided" if "educated_and_guided" in (problem.close_criteria or {}) else "solved"),
        "close_note": problem.close_note,
    }


RECORD_WORKING_DAYS = 3
""""随机谈话的内容要在谈话结束后及时进行补充记录" (annex 4 §四（四）) says "及时" without a number.
*Decision*: a record is due within 3 working days of the talk, the span the seed gives for
answering a request; later, or still missing after that, it is flagged late."""


def record_timeliness(session: Session, talk: Talk) -> dict[str, Any]:
    """When the record was due (``RECORD_WORKING_DAYS`` after the talk) and whether it came late."""
    held = talk.held_on or (talk.scheduled_at.astimezone(SHANGHAI).date() if talk.scheduled_at else None)
    if held is None:
        return {"record_due_on": None, "record_late": False}
    due: date = calendar_for(session).add_working_days(held, RECORD_WORKING_DAYS).date
    late = (talk.recorded_at.astimezone(SHANGHAI).date() if talk.recorded_at else today()) > due
    return {"record_due_on": due.isoformat(), "record_late": late}


def talk_dict(session: Session, talk: Talk, viewer: Person) -> dict[str, Any]:
    """A talk as ``viewer`` may see it: the confidential part only for those entitled."""
    breach = session.scalar(select(TalkBreach).where(TalkBreach.talk_id == talk.id))
    allowed, secret = read_confidential(session, viewer, talk)
    tasks = session.scalars(
        select(Task).where(Task.instance_id == talk.instance_id, Task.state == OPEN).order_by(Task.id)
    ).all()
    on = today()
    secretary = is_secretary(session, viewer, talk.org_unit)
    view: dict[str, Any] = {
        "id": talk.id,
        "instance_id": talk.instance_id,
        "actions": {
            "follow_up": viewer.id == talk.talker_id or holds_any(
                session, viewer.id, [(talk.org_unit_id, role) for role in FOLLOW_UP_ROLES]),
            "close_problems": secretary,
            "close_out": secretary and any(t.element_id == "CloseOut" for t in tasks),
        },
        "kind": talk.kind,
        "kind_label": KIND_LABELS.get(talk.kind),
        "trigger": talk.trigger,
        "trigger_label": TRIGGERS.get(talk.trigger) if talk.trigger else None,
        "source": talk.source,
        "org_unit": unit_dict(talk.org_unit),
        "subject": who(talk.subject),
        "talker": who(talk.talker),
        "requested_with": talk.requested_with,
        "requested_person": who(talk.requested_person),
        "topic": talk.topic,
        "preferred_times": talk.preferred_times,
        "note": talk.note,
        "answer_due_at": iso(talk.answer_due_at),
        "answered_at": iso(talk.answered_at),
        "answered_late": bool(talk.answered_at and talk.answer_due_at and talk.answered_at > talk.answer_due_at),
        "breach": None if breach is None else {
            "kind": breach.kind, "due_at": iso(breach.due_at), "detected_at": iso(breach.detected_at),
            "escalated_at": iso(breach.escalated_at), "answered_at": iso(breach.answered_at),
            "handled_at": iso(breach.handled_at), "note": breach.note,
        },
        "scheduled_at": iso(talk.scheduled_at),
        "place": talk.place,
        "way": talk.way,
        "held_on": iso(talk.held_on),
        **record_timeliness(session, talk),
        "record": None if talk.recorded_at is None else {
            "main_content": talk.main_content,
            "measures": talk.measures,
            "recorded_at": iso(talk.recorded_at),
            "confidential": secret,
            "confidential_visible": allowed,
        },
        "problems": [problem_dict(p, on) for p in talk.problems],
        "state": talk.state,
        "state_label": STATE_LABELS.get(talk.state),
        "close_note": talk.close_note,
        "closed_at": iso(talk.closed_at),
        "created_at": iso(talk.created_at),
        "open_tasks": [{"id": t.id, "element_id": t.element_id, "name": t.name, "labels_en": t.labels_en,
                        "assignee": t.assignee.username if t.assignee else None, "due_at": iso(t.due_at)}
                       for t in tasks],
        "view": "record",
    }
    if may_read_record(session, viewer, talk):
        return view
    # The contact arranges time and place: nothing of what the talk is about (permissions.py).
    view.update({key: None for key in SCHEDULING_HIDES})
    view.update(problems=[], view="scheduling")
    if view["breach"] is not None:
        view["breach"]["note"] = None
    return view


SCHEDULING_HIDES = ("trigger", "trigger_label", "source", "topic", "note", "record", "close_note")


def talk_summary(talk: Talk) -> dict[str, Any]:
    return {
        "id": talk.id,
        "instance_id": talk.instance_id,
        "kind": talk.kind,
        "kind_label": KIND_LABELS.get(talk.kind),
        "trigger": talk.trigger,
        "org_unit": unit_dict(talk.org_unit),
        "subject": who(talk.subject),
        "talker": who(talk.talker),
        "state": talk.state,
        "held_on": iso(talk.held_on),
        "problems_open": sum(1 for p in talk.problems if p.state != "closed"),
        "problems_total": len(talk.problems),
        "created_at": iso(talk.created_at),
    }


def visible_talks(session: Session, viewer: Person, unit: OrgUnit | None, kind: str | None, state: str | None,
                  limit: int, offset: int) -> dict[str, Any]:
    stmt = select(Talk).where(viewable(session, viewer))
    if unit is not None:
        stmt = stmt.where(Talk.org_unit_id == unit.id)
    if kind:
        stmt = stmt.where(Talk.kind == kind)
    if state:
        stmt = stmt.where(Talk.state == state)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = session.scalars(
        stmt.options(selectinload(Talk.problems), selectinload(Talk.subject), selectinload(Talk.talker),
                     selectinload(Talk.org_unit))
        .order_by(Talk.id.desc()).limit(limit).offset(offset)
    ).all()
    return {"items": [talk_summary(t) for t in page], "total": total, "limit": limit, "offset": offset}


def problems_of(session: Session, viewer: Person, unit: OrgUnit, state: str | None, overdue: bool | None
                ) -> dict[str, Any]:
    require_unit_records(session, viewer, unit)
    on = today()
    stmt = select(TalkProblem).where(TalkProblem.org_unit_id == unit.id).order_by(TalkProblem.deadline,
                                                                                   TalkProblem.id)
    if state:
        stmt = stmt.where(TalkProblem.state == state)
    if overdue is True:
        stmt = stmt.where(TalkProblem.state != "closed", TalkProblem.deadline < on)
    elif overdue is False:
        stmt = stmt.where((TalkProblem.state == "closed") | (TalkProblem.deadline >= on))
    items = [problem_dict(p, on) for p in session.scalars(stmt)]
    return {"items": items, "total": len(items)}
