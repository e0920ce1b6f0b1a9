"""The ``talk`` row, kept in step with its instance: created at the first save, answered, planned,
recorded (the confidential part in ``talk_confidential`` only), escalated and closed.

``on_saved`` is the save hook of both talk processes; ``COMPLETIONS`` their completion
handlers, which read each submitted form before the engine does and refuse the close-out
while any problem item is open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server import audit, clock
from server.calendar.due import SHANGHAI
from server.errors import Conflict, Invalid, NotFound
from server.org.models import OrgUnit, Person
from server.org.tree import holds_any
from server.talks.models import Talk, TalkBreach, TalkConfidential, TalkProblem
from server.talks.permissions import subtree_holds
from server.talks.terms import (
    REQUEST_KEY,
    REQUESTED_WITH_LABELS,
    SUBJECT_ROLES,
    TALK_KEYS,
    TALKER_ROLES,
    TRIGGERS,
    iso,
    parse_day,
    parse_moment,
    person_ref,
    today,
)
from server.workflow.engine import Snapshot
from server.workflow.hooks import Completion, CompletionHandler
from server.workflow.models import ProcessInstance


def talk_of_instance(session: Session, instance_id: int) -> Talk:
    talk = session.scalar(select(Talk).where(Talk.instance_id == instance_id))
    if talk is None:
        raise NotFound(f"process instance {instance_id} carries no talk")
    return talk


def get_talk(session: Session, talk_id: int) -> Talk:
    talk = session.get(Talk, talk_id)
    if talk is None:
        raise NotFound(f"talk {talk_id} does not exist")
    return talk


def open_task(session: Session, instance_id: int, element_id: str) -> Task | None:
    return session.scalar(
        select(Task).where(Task.instance_id == instance_id, Task.element_id == element_id, Task.state == OPEN)
    )


def _check_subject(session: Session, person: Person, unit: OrgUnit, field: str) -> None:
    if not subtree_holds(session, person.id, unit, SUBJECT_ROLES):
        raise Invalid(f"{field}: {person.display_name} ({person.username}) is not a member of {unit.name}",
                      [{"field": field, "message": "not a member of this branch"}])


def _check_talker(session: Session, talker: Person, talk: Talk, field: str) -> None:
    unit = talk.org_unit
    if talker.id == talk.subject_id:
        raise Invalid(f"{field}: nobody talks with himself", [{"field": field, "message": "same as the member"}])
    if talk.kind == "request":
        if talk.requested_person_id is not None and talker.id != talk.requested_person_id:
            asked = talk.requested_person.display_name if talk.requested_person else "?"
            raise Invalid(f"{field}: the member asked to talk with {asked}",
                          [{"field": field, "message": "not the person asked for"}])
        if talk.requested_with == "secretary" and not holds_any(
            session, talker.id, [(unit.id, "secretary"), (unit.id, "deputy_secretary")]
        ):
            raise Invalid(f"{field}: the member asked to talk with the branch secretary",
                          [{"field": field, "message": "not a secretary of this branch"}])
        return
    if not subtree_holds(session, talker.id, unit, TALKER_ROLES) and not holds_any(
        session, talker.id, [(uid, "secretary") for uid in unit.ancestor_ids()]
    ):
        raise Invalid(
            f"{field}: {talker.display_name} is neither the secretary nor a committee member or group leader "
            f"of {unit.name}",
            [{"field": field, "message": "may not hold this talk"}],
        )


def _create_talk(session: Session, instance: ProcessInstance, data: dict[str, Any]) -> Talk:
    unit = instance.org_unit
    key = instance.definition.key
    if key == REQUEST_KEY:
        subject = person_ref(session, data.get("started_by"), "started_by")
        requested_with = data.get("requested_with")
        if requested_with not in REQUESTED_WITH_LABELS:
            raise Invalid("requested_with must be secretary, committee_member or member",
                          [{"field": "requested_with", "message": "unknown"}])
        requested = (person_ref(session, data["requested_person"], "requested_person")
                     if data.get("requested_person") else None)
        if requested is not None and requested.id == subject.id:
            raise Invalid("requested_person: ask for somebody else",
                          [{"field": "requested_person", "message": "same as the requester"}])
        if requested is not None and requested_with == "committee_member" and not subtree_holds(
            session, requested.id, unit, TALKER_ROLES
        ):
            raise Invalid(f"requested_person: {requested.display_name} is not on the committee of {unit.name}",
                          [{"field": "requested_person", "message": "not a committee member"}])
        if requested is not None and requested_with == "member":
            _check_subject(session, requested, unit, "requested_person")
        if requested is not None and requested_with == "secretary" and not holds_any(
            session, requested.id, [(unit.id, "secretary"), (unit.id, "deputy_secretary")]
        ):
            raise Invalid(f"requested_person: {requested.display_name} is not a secretary of {unit.name}",
                          [{"field": "requested_person", "message": "not a secretary of this branch"}])
        _check_subject(session, subject, unit, "started_by")
        talk = Talk(instance_id=instance.id, org_unit_id=unit.id, kind="request", subject_id=subject.id,
                    requested_with=requested_with, requested_person_id=requested.id if requested else None,
                    topic=data.get("topic"), preferred_times=data.get("preferred_times"), state="requested",
                    created_at=clock.now())
    else:
        kind = data.get("kind")
        if kind not in ("must", "periodic", "topical"):
            raise Invalid("kind must be must, periodic or topical", [{"field": "kind", "message": "unknown"}])
        trigger = data.get("trigger")
        if kind == "must" and trigger not in TRIGGERS:
            raise Invalid("a must-talk needs one of the eight triggers", [{"field": "trigger", "message": "required"}])
        subject = person_ref(session, data.get("member"), "member")
        _check_subject(session, subject, unit, "member")
        talk = Talk(instance_id=instance.id, org_unit_id=unit.id, kind=kind,
                    trigger=trigger if kind == "must" else None, source=data.get("source"), subject_id=subject.id,
                    note=data.get("note"), state="planning", created_at=clock.now())
        talk.org_unit = unit
        if data.get("talker"):
            talker = person_ref(session, data["talker"], "talker")
            _check_talker(session, talker, talk, "talker")
            talk.talker_id = talker.id
        if data.get("scheduled_at"):
            talk.scheduled_at = parse_moment(data["scheduled_at"], "scheduled_at")
            talk.place = data.get("place")
            talk.way = data.get("way")
    session.add(talk)
    session.flush()
    answer = open_task(session, instance.id, "AnswerRequest")
    if answer is not None:
        talk.answer_due_at = answer.due_at
    if talk.kind != "request" and open_task(session, instance.id, "PlanTalk") is None:
        talk.state = "scheduled"
    return talk


def breach_of(session: Session, talk: Talk, now: datetime) -> TalkBreach:
    breach = session.scalar(select(TalkBreach).where(TalkBreach.talk_id == talk.id, TalkBreach.kind == "late_answer"))
    if breach is None:
        breach = TalkBreach(talk_id=talk.id, org_unit_id=talk.org_unit_id, kind="late_answer",
                            due_at=talk.answer_due_at or now, detected_at=now)
        session.add(breach)
        session.flush()
    return breach


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    talk = session.scalar(select(Talk).where(Talk.instance_id == instance.id))
    if talk is None:
        talk = _create_talk(session, instance, snapshot.data)
    now = clock.now()
    if any(h.element_id == "EscalateAnswer" for h in snapshot.human_tasks):
        breach = breach_of(session, talk, now)
        if breach.escalated_at is None:
            breach.escalated_at = now
            audit.record(session, "talk.answer_overdue", actor=None, instance_id=instance.id, talk_id=talk.id,
                         due_at=iso(breach.due_at))
    if snapshot.completed and talk.state != "closed":
        talk.state = "closed"
        talk.closed_at = talk.closed_at or now


def _record(
    session: Session, talk: Talk, person: Person, data: dict[str, Any], confidential: dict[str, Any], now: datetime
) -> None:
    held_on = parse_day(data.get("held_on"), "held_on")
    if held_on > today():
        raise Invalid("held_on: a talk cannot be recorded before it is held",
                      [{"field": "held_on", "message": "in the future"}])
    if talk.kind == "request" and held_on < talk.created_at.astimezone(SHANGHAI).date():
        raise Invalid("held_on: the talk was asked for later than that",
                      [{"field": "held_on", "message": "before the request"}])
    items = data.get("problems") or []
    problems = []
    for i, item in enumerate(items):
        owner = person_ref(session, item.get("owner"), f"problems.{i}.owner")
        deadline = parse_day(item.get("deadline"), f"problems.{i}.deadline")
        if deadline < held_on:
            raise Invalid(f"problems.{i}.deadline: the deadline lies before the talk",
                          [{"field": f"problems.{i}.deadline", "message": "before the talk"}])
        problems.append(TalkProblem(org_unit_id=talk.org_unit_id, seq=i + 1, description=item["description"],
                                    owner_id=owner.id, measure=item["measure"], deadline=deadline, state="open",
                                    created_at=now))
    talk.held_on = held_on
    talk.way = data.get("way")
    talk.main_content = data.get("main_content")
    talk.measures = data.get("measures")
    talk.recorded_at = now
    talk.recorded_by_id = person.id
    talk.talker_id = talk.talker_id or person.id
    talk.state = "following_up" if problems else "closed"
    talk.closed_at = None if problems else now
    talk.problems.extend(problems)
    text = confidential.get("confidential")
    if text:
        session.add(TalkConfidential(talk_id=talk.id, content=str(text), recorded_by_id=person.id, recorded_at=now))
    session.flush()


def _schedule(c: Completion) -> bool:
    """AnswerRequest (the contact answers a request) and PlanTalk: who talks, when, where."""
    talk = talk_of_instance(c.session, c.task.instance_id)
    talker = person_ref(c.session, c.data.get("talker"), "talker")
    _check_talker(c.session, talker, talk, "talker")
    talk.talker_id = talker.id
    talk.scheduled_at = parse_moment(c.data.get("scheduled_at"), "scheduled_at")
    talk.place = c.data.get("place")
    talk.way = c.data.get("way") or "face_to_face"
    talk.state = "scheduled"
    if c.task.element_id == "AnswerRequest":
        talk.answered_at = c.now
        talk.answered_by_id = c.person.id
        talk.answer_due_at = talk.answer_due_at or c.task.due_at
        if talk.answer_due_at is not None and c.now > talk.answer_due_at:
            breach_of(c.session, talk, c.now).answered_at = c.now
    return False


def _record_talk(c: Completion) -> bool:
    _record(c.session, talk_of_instance(c.session, c.task.instance_id), c.person, c.data, c.confidential, c.now)
    return bool(c.confidential)


def _close_out(c: Completion) -> bool:
    talk = talk_of_instance(c.session, c.task.instance_id)
    still_open = [p for p in talk.problems if p.state != "closed"]
    if still_open:
        items = "; ".join(f"#{p.seq} {p.description[:40]}" for p in still_open)
        raise Conflict(
            f"the talk cannot be closed: {len(still_open)} problem item(s) are not closed out yet ({items})",
            [{"field": "problems", "problem_id": p.id, "message": "not closed out"} for p in still_open],
        )
    talk.close_note = c.data.get("summary")
    talk.closed_by_id = c.person.id
    talk.closed_at = c.now
    talk.state = "closed"
    return False


def _escalation_handled(c: Completion) -> bool:
    talk = talk_of_instance(c.session, c.task.instance_id)
    breach = breach_of(c.session, talk, c.now)
    breach.handled_at = c.now
    breach.handled_by_id = c.person.id
    breach.note = c.data.get("action")
    return False


_HANDLERS: dict[str, CompletionHandler] = {
    "AnswerRequest": _schedule,
    "PlanTalk": _schedule,
    "RecordTalk": _record_talk,
    "CloseOut": _close_out,
    "EscalateAnswer": _escalation_handled,
}
COMPLETIONS: dict[tuple[str, str], CompletionHandler] = {
    (key, element): handler for key in TALK_KEYS for element, handler in _HANDLERS.items()
}
