"""The talk loop (谈心谈话, seed 001 annex 4): request → answer in 3 working days → talk →
record → problem list → follow-up (回头看) → close-out (销号), plus the must-talk triggers
(八必谈) and half-year coverage.

Two BPMN processes carry a talk: ``talk_request`` (a member asks; the contact answers,
escalating to the secretary after 3 working days) and ``talk`` (the secretary starts a
must-talk, periodic or topical talk, or the campaign's appraisal starts one by itself).
Both end in the same ``RecordTalk`` and ``CloseOut`` tasks. This module keeps the
``talk`` rows in step with them through two hooks:

* a save hook (``server.workflow.instances.register_save_hook``) creates the talk row when an
  instance starts, records a breach when the escalation task appears and closes the talk
  when the instance ends;
* a completion hook (``inbox.service.register_completion_hook``) reads each submitted
  form before the engine does: answers, plans, records (storing the confidential part in
  ``talk_confidential`` only) and the close-out, which it refuses while any problem item
  is open.

For the campaign: ``on_appraisal_grade`` (or ``start_must_talk``) is the plain function
its mass appraisal calls with each member's grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from inbox.models import OPEN, Task
from inbox.service import register_completion_hook, validate_form
from server import audit, clock
from server.access import visible_unit_filter
from server.calendar.due import SHANGHAI
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, holds_any, unit_by_ref, unit_dict
from server.talks.models import Talk, TalkBreach, TalkConfidential, TalkFollowUp, TalkProblem
from server.workflow.definitions import form_schema
from server.workflow.engine import Snapshot
from server.workflow.instances import register_save_hook, register_start_hook, start_instance
from server.workflow.models import ProcessDefinition, ProcessInstance

REQUEST_KEY = "talk_request"
TALK_KEY = "talk"
TALK_KEYS = (REQUEST_KEY, TALK_KEY)

KIND_LABELS = {"request": "双向约谈（党员申请）", "must": "八必谈", "periodic": "定期谈心", "topical": "专题谈话"}

TRIGGERS = {
    "job_change": "工作变动或职务调整",
    "probation_or_retirement": "预备期满或办理退休",
    "emerging_problem": "有苗头性倾向性问题",
    "setback_or_low_mood": "遇到工作挫折或情绪持续低落",
    "family_hardship": "遭遇家庭变故或重大困难",
    "appraisal": "民主评议中“基本合格”“不合格”票数较多",
    "commendation_or_punishment": "受到表彰或处罚",
    "conflict": "与他人产生矛盾",
}
"""八必谈: the eight occasions on which the branch must talk with a member."""

WAY_LABELS = {"face_to_face": "面对面", "phone": "电话", "home_visit": "登门"}
REQUESTED_WITH_LABELS = {"secretary": "支部书记", "committee_member": "支委委员", "member": "其他党员"}
STATE_LABELS = {
    "requested": "待答复",
    "planning": "待安排",
    "scheduled": "已约定",
    "following_up": "整改中",
    "closed": "已闭环",
}

CRITERIA = {
    "problem_solved": "问题得到解决",
    "request_met": "诉求得到满足",
    "feelings_eased": "情绪得到疏通",
    "work_improved": "工作得到促进",
    "affection_deepened": "情意得到增进",
    "member_satisfied": "党员满意",
}
"""The close-out standard of annex 4 §五（三）: an item is closed (销号) only when all hold."""

FOLLOW_UP_RESULTS = {"progressing": "整改中", "resolved": "已解决", "not_resolved": "未解决"}

APPRAISAL_GRADES = {
    "basically_qualified": "基本合格",
    "unqualified": "不合格",
    "基本合格": "基本合格",
    "不合格": "不合格",
}
"""Appraisal grades that start a must-talk by themselves."""

TALKER_ROLES = ("secretary", "deputy_secretary", "committee_member", "group_leader")
"""约谈一般由支部书记主谈，特殊情况可委托支委成员或党小组长."""

SUBJECT_ROLES = ("member", "activist")
"""谈心谈话的对象是党支部全体党员和入党积极分子."""

FOLLOW_UP_ROLES = ("secretary", "deputy_secretary", "committee_member")
MANAGE_ROLES = ("secretary", "deputy_secretary", "committee_member")
SUPERIOR_ROLES = ("secretary", "deputy_secretary", "org_admin")


def today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


# -- people and permissions ----------------------------------------------------------------------


def _person(session: Session, username: Any, field: str) -> Person:
    person = (
        session.scalar(select(Person).where(Person.username == username))
        if isinstance(username, str) and username
        else None
    )
    if person is None:
        raise Invalid(f"{field}: '{username}' is not a known user", [{"field": field, "message": "unknown user"}])
    return person


def _subtree_holds(session: Session, person_id: int, unit: OrgUnit, roles: tuple[str, ...]) -> bool:
    """True if the person holds one of ``roles`` in ``unit`` or a unit below it (a party group)."""
    found = session.scalar(
        select(Position.id)
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(
            Position.person_id == person_id,
            Position.role.in_(roles),
            OrgUnit.path.startswith(unit.path),
            active_position_filter(),
        )
        .limit(1)
    )
    return found is not None


def is_secretary(session: Session, person: Person, unit: OrgUnit) -> bool:
    return holds_any(session, person.id, [(unit.id, "secretary")])


def _org_admin_above(session: Session, person: Person, unit: OrgUnit) -> bool:
    return holds_any(session, person.id, [(uid, "org_admin") for uid in unit.ancestor_ids()])


def may_manage(session: Session, person: Person, unit: OrgUnit) -> bool:
    """The branch committee, and the secretaries and organisation staff of the units above."""
    pairs = [(unit.id, role) for role in MANAGE_ROLES]
    pairs += [(uid, role) for uid in unit.ancestor_ids() for role in SUPERIOR_ROLES]
    return holds_any(session, person.id, pairs)


def require_manage(session: Session, person: Person, unit: OrgUnit) -> None:
    if not may_manage(session, person, unit):
        raise Forbidden(f"only the branch committee of {unit.name} and the organisations above it may do this")


def is_participant(person: Person, talk: Talk) -> bool:
    return person.id in (talk.subject_id, talk.talker_id)


def may_read_confidential(session: Session, person: Person, talk: Talk) -> bool:
    """Only the two people who talked, the branch secretary and the organisation staff above."""
    unit = talk.org_unit
    return is_participant(person, talk) or is_secretary(session, person, unit) or _org_admin_above(
        session, person, unit
    )


def _viewable(session: Session, viewer: Person) -> ColumnElement[bool]:
    """Talks a person may see (not their confidential part): his own as a participant, those of
    the units where he holds a position, and those below where he is a secretary or org_admin."""
    above = session.scalars(
        select(OrgUnit.path).join(Position, Position.org_unit_id == OrgUnit.id)
        .where(Position.person_id == viewer.id, Position.role.in_(SUPERIOR_ROLES), active_position_filter())
    ).all()
    units = select(OrgUnit.id).where(or_(visible_unit_filter(session, viewer.id),
                                         *[OrgUnit.path.startswith(path) for path in above]))
    return or_(Talk.subject_id == viewer.id, Talk.talker_id == viewer.id, Talk.org_unit_id.in_(units))


def may_view(session: Session, person: Person, talk: Talk) -> bool:
    return session.scalar(select(Talk.id).where(Talk.id == talk.id, _viewable(session, person))) is not None


def read_confidential(session: Session, viewer: Person, talk: Talk) -> tuple[bool, str | None]:
    """(may ``viewer`` read the confidential part, the text or ``None``): the one way to read it."""
    if not may_read_confidential(session, viewer, talk):
        return False, None
    row = session.get(TalkConfidential, talk.id)
    return True, row.content if row else None


# -- parsing ------------------------------------------------------------------------------------


def _moment(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{field}: '{value}' is not a date and time", [{"field": field, "message": "not a date-time"}]) \
            from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _day(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise Invalid(f"{field}: '{value}' is not a date", [{"field": field, "message": "not a date"}]) from exc


# -- starting talks -----------------------------------------------------------------------------


def _member_branch(session: Session, person: Person) -> OrgUnit:
    units = list(
        session.scalars(
            select(OrgUnit)
            .join(Position, Position.org_unit_id == OrgUnit.id)
            .where(Position.person_id == person.id, Position.role.in_(SUBJECT_ROLES), active_position_filter())
            .order_by(OrgUnit.id)
        ).unique()
    )
    if len(units) != 1:
        raise Invalid(
            "say in which branch you ask for the talk (org_unit)" if units else "you are not a member of any branch",
            [{"field": "org_unit", "message": "required"}],
        )
    return units[0]


SERVER_KEYS = ("source",)
"""Start data only the server sets (never taken from a caller)."""

START_DEFAULTS = {
    REQUEST_KEY: {"requested_person": None},
    TALK_KEY: {"trigger": None, "talker": None, "scheduled_at": None, "place": None, "way": None, "note": None,
               "source": None},
}


def _start_hook(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
                actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    """Whoever starts a talk (these routes, ``POST /api/process-instances``, the campaign): the
    start form is checked and every variable the process reads is present."""
    if actor is not None:
        data = {k: v for k, v in data.items() if k not in SERVER_KEYS}
    schema = form_schema(definition, definition.start_form)
    validate_form(schema, {k: v for k, v in data.items() if k not in SERVER_KEYS})
    return {**START_DEFAULTS[definition.key], **data}


def request_talk(session: Session, actor: Person, org_unit: int | str | None, data: dict[str, Any]) -> Talk:
    """A member asks for a talk with the secretary, a committee member or another member."""
    unit = unit_by_ref(session, org_unit) if org_unit not in (None, "") else _member_branch(session, actor)
    instance = start_instance(
        session, process_key=REQUEST_KEY, org_unit=unit.id, data=data, actor=actor,
        title=f"约谈申请：{actor.display_name}",
    )
    return talk_of_instance(session, instance.id)


def start_talk(session: Session, actor: Person, org_unit: int | str, data: dict[str, Any]) -> Talk:
    """The secretary starts a must-talk (with its trigger), a periodic or a topical talk."""
    instance = start_instance(
        session, process_key=TALK_KEY, org_unit=unit_by_ref(session, org_unit).id, data=data, actor=actor,
        title=_talk_title(session, data),
    )
    return talk_of_instance(session, instance.id)


def _talk_title(session: Session, data: dict[str, Any]) -> str:
    subject = session.scalar(select(Person.display_name).where(Person.username == data.get("member")))
    label = KIND_LABELS.get(str(data.get("kind")), "谈话")
    trigger = TRIGGERS.get(str(data.get("trigger")))
    return f"{label}：{subject or data.get('member')}" + (f"（{trigger}）" if trigger else "")


def start_must_talk(
    session: Session,
    branch_unit: OrgUnit | int | str,
    member_username: str,
    trigger: str,
    actor: Person | None = None,
    *,
    source: str | None = None,
    note: str | None = None,
) -> Talk:
    """Start a must-talk (八必谈) by the system: the branch secretary gets "安排约谈".

    ``source`` names what caused it (e.g. ``campaign:12:appraisal:m3``); the same source
    starts at most one talk, so calling again returns the talk already started. ``actor``
    is recorded in the audit trail as the one whose action triggered it.
    """
    if trigger not in TRIGGERS:
        raise Invalid(f"unknown must-talk trigger '{trigger}' (known: {', '.join(TRIGGERS)})",
                      [{"field": "trigger", "message": "unknown trigger"}])
    if source:
        existing = session.scalar(select(Talk).where(Talk.source == source))
        if existing is not None:
            return existing
    unit = branch_unit if isinstance(branch_unit, OrgUnit) else unit_by_ref(session, branch_unit)
    data = {"kind": "must", "trigger": trigger, "member": member_username, "note": note, "source": source}
    instance = start_instance(session, process_key=TALK_KEY, org_unit=unit.id, data=data, actor=None,
                              title=_talk_title(session, data))
    audit.record(session, "talk.triggered", actor=actor, instance_id=instance.id, trigger=trigger,
                 member=member_username, source=source)
    return talk_of_instance(session, instance.id)


def on_appraisal_grade(
    session: Session,
    branch_unit: OrgUnit | int | str,
    member_username: str,
    grade: str,
    actor: Person | None = None,
    *,
    source: str | None = None,
) -> Talk | None:
    """The campaign's mass appraisal graded a member: "basically qualified" and "unqualified"
    start a must-talk for the branch secretary; other grades start nothing."""
    label = APPRAISAL_GRADES.get(grade)
    if label is None:
        return None
    return start_must_talk(session, branch_unit, member_username, "appraisal", actor,
                           source=source, note=f"民主评议结果：{label}")


def on_appraisal_results(
    session: Session,
    branch_unit: OrgUnit | int | str,
    results: list[dict[str, Any]],
    actor: Person | None = None,
    *,
    source_prefix: str,
) -> list[Talk]:
    """A branch's published appraisal: every member graded "basically qualified" or
    "unqualified", or with many such votes (``needs_talk``), gets a must-talk.

    ``results`` are ``{"member": username, "overall": grade, "needs_talk": bool}``; the
    source of each talk is ``f"{source_prefix}:{member}"``, so a repeated call starts nothing new.
    """
    started = []
    for result in results:
        grade = str(result.get("overall"))
        if grade not in APPRAISAL_GRADES and not result.get("needs_talk"):
            continue
        label = APPRAISAL_GRADES.get(grade)
        note = f"民主评议结果：{label}" if label else "民主评议中“基本合格”“不合格”票数较多"
        started.append(start_must_talk(session, branch_unit, str(result["member"]), "appraisal", actor,
                                       source=f"{source_prefix}:{result['member']}", note=note))
    return started


# -- the talk row, kept in step with its instance -----------------------------------------------


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


def _open_task(session: Session, instance_id: int, element_id: str) -> Task | None:
    return session.scalar(
        select(Task).where(Task.instance_id == instance_id, Task.element_id == element_id, Task.state == OPEN)
    )


def _check_subject(session: Session, person: Person, unit: OrgUnit, field: str) -> None:
    if not _subtree_holds(session, person.id, unit, SUBJECT_ROLES):
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
    if not _subtree_holds(session, talker.id, unit, TALKER_ROLES) and not holds_any(
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
        subject = _person(session, data.get("started_by"), "started_by")
        requested_with = data.get("requested_with")
        if requested_with not in REQUESTED_WITH_LABELS:
            raise Invalid("requested_with must be secretary, committee_member or member",
                          [{"field": "requested_with", "message": "unknown"}])
        requested = (_person(session, data["requested_person"], "requested_person")
                     if data.get("requested_person") else None)
        if requested is not None and requested.id == subject.id:
            raise Invalid("requested_person: ask for somebody else",
                          [{"field": "requested_person", "message": "same as the requester"}])
        if requested is not None and requested_with == "committee_member" and not _subtree_holds(
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
        subject = _person(session, data.get("member"), "member")
        _check_subject(session, subject, unit, "member")
        talk = Talk(instance_id=instance.id, org_unit_id=unit.id, kind=kind,
                    trigger=trigger if kind == "must" else None, source=data.get("source"), subject_id=subject.id,
                    note=data.get("note"), state="planning", created_at=clock.now())
        talk.org_unit = unit
        if data.get("talker"):
            talker = _person(session, data["talker"], "talker")
            _check_talker(session, talker, talk, "talker")
            talk.talker_id = talker.id
        if data.get("scheduled_at"):
            talk.scheduled_at = _moment(data["scheduled_at"], "scheduled_at")
            talk.place = data.get("place")
            talk.way = data.get("way")
    session.add(talk)
    session.flush()
    answer = _open_task(session, instance.id, "AnswerRequest")
    if answer is not None:
        talk.answer_due_at = answer.due_at
    if talk.kind != "request" and _open_task(session, instance.id, "PlanTalk") is None:
        talk.state = "scheduled"
    return talk


def _breach(session: Session, talk: Talk, now: datetime) -> TalkBreach:
    breach = session.scalar(select(TalkBreach).where(TalkBreach.talk_id == talk.id, TalkBreach.kind == "late_answer"))
    if breach is None:
        breach = TalkBreach(talk_id=talk.id, org_unit_id=talk.org_unit_id, kind="late_answer",
                            due_at=talk.answer_due_at or now, detected_at=now)
        session.add(breach)
        session.flush()
    return breach


def _on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if instance.definition.key not in TALK_KEYS:
        return
    talk = session.scalar(select(Talk).where(Talk.instance_id == instance.id))
    if talk is None:
        talk = _create_talk(session, instance, snapshot.data)
    now = clock.now()
    if any(h.element_id == "EscalateAnswer" for h in snapshot.human_tasks):
        breach = _breach(session, talk, now)
        if breach.escalated_at is None:
            breach.escalated_at = now
            audit.record(session, "talk.answer_overdue", actor=None, instance_id=instance.id, talk_id=talk.id,
                         due_at=_iso(breach.due_at))
    if snapshot.completed and talk.state != "closed":
        talk.state = "closed"
        talk.closed_at = talk.closed_at or now


def _on_complete(
    session: Session, task: Task, person: Person, data: dict[str, Any], confidential: dict[str, Any]
) -> bool:
    if task.process_key not in TALK_KEYS:
        return False
    talk = talk_of_instance(session, task.instance_id)
    now = clock.now()
    element = task.element_id
    if element in ("AnswerRequest", "PlanTalk"):
        talker = _person(session, data.get("talker"), "talker")
        _check_talker(session, talker, talk, "talker")
        talk.talker_id = talker.id
        talk.scheduled_at = _moment(data.get("scheduled_at"), "scheduled_at")
        talk.place = data.get("place")
        talk.way = data.get("way") or "face_to_face"
        talk.state = "scheduled"
        if element == "AnswerRequest":
            talk.answered_at = now
            talk.answered_by_id = person.id
            talk.answer_due_at = talk.answer_due_at or task.due_at
            if talk.answer_due_at is not None and now > talk.answer_due_at:
                _breach(session, talk, now).answered_at = now
    elif element == "RecordTalk":
        _record(session, talk, person, data, confidential, now)
        return bool(confidential)
    elif element == "CloseOut":
        still_open = [p for p in talk.problems if p.state != "closed"]
        if still_open:
            items = "; ".join(f"#{p.seq} {p.description[:40]}" for p in still_open)
            raise Conflict(
                f"the talk cannot be closed: {len(still_open)} problem item(s) are not closed out yet ({items})",
                [{"field": "problems", "problem_id": p.id, "message": "not closed out"} for p in still_open],
            )
        talk.close_note = data.get("summary")
        talk.closed_by_id = person.id
        talk.closed_at = now
        talk.state = "closed"
    elif element == "EscalateAnswer":
        breach = _breach(session, talk, now)
        breach.handled_at = now
        breach.handled_by_id = person.id
        breach.note = data.get("action")
    return False


def _record(
    session: Session, talk: Talk, person: Person, data: dict[str, Any], confidential: dict[str, Any], now: datetime
) -> None:
    held_on = _day(data.get("held_on"), "held_on")
    if held_on > today():
        raise Invalid("held_on: a talk cannot be recorded before it is held",
                      [{"field": "held_on", "message": "in the future"}])
    if talk.kind == "request" and held_on < talk.created_at.astimezone(SHANGHAI).date():
        raise Invalid("held_on: the talk was asked for later than that",
                      [{"field": "held_on", "message": "before the request"}])
    items = data.get("problems") or []
    problems = []
    for i, item in enumerate(items):
        owner = _person(session, item.get("owner"), f"problems.{i}.owner")
        deadline = _day(item.get("deadline"), f"problems.{i}.deadline")
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


register_start_hook(REQUEST_KEY, _start_hook)
register_start_hook(TALK_KEY, _start_hook)
register_save_hook(_on_saved)
register_completion_hook(_on_complete)


# -- problem items: follow-up and close-out --------------------------------------------------------


def get_problem(session: Session, problem_id: int) -> TalkProblem:
    problem = session.get(TalkProblem, problem_id)
    if problem is None:
        raise NotFound(f"problem item {problem_id} does not exist")
    return problem


def follow_up(session: Session, person: Person, problem_id: int, result: Any, note: Any) -> TalkProblem:
    """A look back (回头看) at one item, by the branch committee or the talker."""
    problem = get_problem(session, problem_id)
    talk = problem.talk
    allowed = person.id == talk.talker_id or holds_any(
        session, person.id, [(talk.org_unit_id, role) for role in FOLLOW_UP_ROLES]
    )
    if not allowed:
        raise Forbidden("only the talker and the branch committee look back at a problem item")
    if problem.state == "closed":
        raise Conflict(f"problem item #{problem.seq} is already closed out")
    problems = []
    if result not in FOLLOW_UP_RESULTS:
        problems.append({"field": "result", "message": f"one of {', '.join(FOLLOW_UP_RESULTS)}"})
    if not isinstance(note, str) or len(note.strip()) < 2:
        problems.append({"field": "note", "message": "say what the look back found (2 characters or more)"})
    if problems:
        raise Invalid("the follow-up has errors in: " + ", ".join(p["field"] for p in problems), problems)
    problem.follow_ups.append(TalkFollowUp(at=clock.now(), by_id=person.id, result=str(result), note=str(note).strip()))
    session.flush()
    audit.record(session, "talk.problem.followed_up", actor=person, instance_id=talk.instance_id,
                 talk_id=talk.id, problem_id=problem.id, result=result)
    return problem


def close_problem(session: Session, person: Person, problem_id: int, criteria: Any, note: Any) -> TalkProblem:
    """Close out (销号) one item: only the branch secretary, after a look back, with every
    criterion of the seed affirmed and a note."""
    problem = get_problem(session, problem_id)
    talk = problem.talk
    if not is_secretary(session, person, talk.org_unit):
        raise Forbidden("only the branch secretary closes out a problem item")
    if problem.state == "closed":
        raise Conflict(f"problem item #{problem.seq} is already closed out")
    if not problem.follow_ups:
        raise Conflict(f"look back (回头看) at problem item #{problem.seq} before closing it out")
    criteria = criteria if isinstance(criteria, dict) else {}
    details = [
        {"field": f"criteria.{code}", "message": f"not affirmed: {label}"}
        for code, label in CRITERIA.items()
        if criteria.get(code) is not True
    ]
    if not isinstance(note, str) or len(note.strip()) < 2:
        details.append({"field": "note", "message": "a close-out note is required (2 characters or more)"})
    if details:
        unmet = [CRITERIA[d["field"].split(".", 1)[1]] for d in details if d["field"].startswith("criteria.")]
        message = "an item is closed out only when " + "、".join(CRITERIA.values())
        if unmet:
            message += f"; not affirmed: {'、'.join(unmet)}"
        raise Invalid(message, details)
    problem.state = "closed"
    problem.closed_at = clock.now()
    problem.closed_by_id = person.id
    problem.close_criteria = {code: True for code in CRITERIA}
    problem.close_note = str(note).strip()
    session.flush()
    audit.record(session, "talk.problem.closed", actor=person, instance_id=talk.instance_id, talk_id=talk.id,
                 problem_id=problem.id)
    return problem


def close_talk(session: Session, person: Person, talk_id: int, summary: Any) -> dict[str, Any]:
    """Complete the talk's close-out task (refused while any item is open)."""
    from inbox.service import complete

    talk = get_talk(session, talk_id)
    task = _open_task(session, talk.instance_id, "CloseOut")
    if task is None:
        raise Conflict("this talk has no close-out waiting" + (" (it is closed)" if talk.state == "closed" else ""))
    return complete(session, person, task.id, {"summary": summary})


# -- views ---------------------------------------------------------------------------------------


def _who(person: Person | None) -> dict[str, str] | None:
    return {"username": person.username, "name": person.display_name} if person else None


def problem_dict(problem: TalkProblem, on: date | None = None) -> dict[str, Any]:
    on = on or today()
    return {
        "id": problem.id,
        "talk_id": problem.talk_id,
        "seq": problem.seq,
        "description": problem.description,
        "owner": _who(problem.owner),
        "measure": problem.measure,
        "deadline": problem.deadline.isoformat(),
        "state": problem.state,
        "overdue": problem.state != "closed" and problem.deadline < on,
        "follow_ups": [
            {"at": _iso(f.at), "by": _who(f.by), "result": f.result, "result_label": FOLLOW_UP_RESULTS.get(f.result),
             "note": f.note}
            for f in problem.follow_ups
        ],
        "closed_at": _iso(problem.closed_at),
        "closed_by": _who(problem.closed_by),
        "close_criteria": problem.close_criteria,
        "close_note": problem.close_note,
    }


def talk_dict(session: Session, talk: Talk, viewer: Person) -> dict[str, Any]:
    """A talk as ``viewer`` may see it: the confidential part only for those entitled."""
    breach = session.scalar(select(TalkBreach).where(TalkBreach.talk_id == talk.id))
    allowed, secret = read_confidential(session, viewer, talk)
    tasks = session.scalars(
        select(Task).where(Task.instance_id == talk.instance_id, Task.state == OPEN).order_by(Task.id)
    ).all()
    on = today()
    return {
        "id": talk.id,
        "instance_id": talk.instance_id,
        "kind": talk.kind,
        "kind_label": KIND_LABELS.get(talk.kind),
        "trigger": talk.trigger,
        "trigger_label": TRIGGERS.get(talk.trigger) if talk.trigger else None,
        "source": talk.source,
        "org_unit": unit_dict(talk.org_unit),
        "subject": _who(talk.subject),
        "talker": _who(talk.talker),
        "requested_with": talk.requested_with,
        "requested_person": _who(talk.requested_person),
        "topic": talk.topic,
        "preferred_times": talk.preferred_times,
        "note": talk.note,
        "answer_due_at": _iso(talk.answer_due_at),
        "answered_at": _iso(talk.answered_at),
        "answered_late": bool(talk.answered_at and talk.answer_due_at and talk.answered_at > talk.answer_due_at),
        "breach": None if breach is None else {
            "kind": breach.kind, "due_at": _iso(breach.due_at), "detected_at": _iso(breach.detected_at),
            "escalated_at": _iso(breach.escalated_at), "answered_at": _iso(breach.answered_at),
            "handled_at": _iso(breach.handled_at), "note": breach.note,
        },
        "scheduled_at": _iso(talk.scheduled_at),
        "place": talk.place,
        "way": talk.way,
        "held_on": _iso(talk.held_on),
        "record": None if talk.recorded_at is None else {
            "main_content": talk.main_content,
            "measures": talk.measures,
            "recorded_at": _iso(talk.recorded_at),
            "confidential": secret,
            "confidential_visible": allowed,
        },
        "problems": [problem_dict(p, on) for p in talk.problems],
        "state": talk.state,
        "state_label": STATE_LABELS.get(talk.state),
        "close_note": talk.close_note,
        "closed_at": _iso(talk.closed_at),
        "created_at": _iso(talk.created_at),
        "open_tasks": [{"id": t.id, "element_id": t.element_id, "name": t.name,
                        "assignee": t.assignee.username if t.assignee else None, "due_at": _iso(t.due_at)}
                       for t in tasks],
    }


def talk_summary(talk: Talk) -> dict[str, Any]:
    return {
        "id": talk.id,
        "instance_id": talk.instance_id,
        "kind": talk.kind,
        "kind_label": KIND_LABELS.get(talk.kind),
        "trigger": talk.trigger,
        "org_unit": unit_dict(talk.org_unit),
        "subject": _who(talk.subject),
        "talker": _who(talk.talker),
        "state": talk.state,
        "held_on": _iso(talk.held_on),
        "problems_open": sum(1 for p in talk.problems if p.state != "closed"),
        "problems_total": len(talk.problems),
        "created_at": _iso(talk.created_at),
    }


def visible_talks(session: Session, viewer: Person, unit: OrgUnit | None, kind: str | None, state: str | None,
                  limit: int, offset: int) -> dict[str, Any]:
    stmt = select(Talk).where(_viewable(session, viewer))
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
    require_manage(session, viewer, unit)
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


# -- half-year periods and coverage ---------------------------------------------------------------

_PERIOD = re.compile(r"^(?P<year>[0-9]{4})H(?P<half>[12])$")


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start.year}年{'上' if self.start.month == 1 else '下'}半年"


def period(code: str | None = None, on: date | None = None) -> Period:
    """``2026H1`` (January–June) or ``2026H2`` (July–December); by default the current one."""
    if code is None:
        day = on or today()
        code = f"{day.year}H{1 if day.month <= 6 else 2}"
    match = _PERIOD.match(code)
    if not match:
        raise Invalid(f"period '{code}' is not like 2026H1 or 2026H2", [{"field": "period", "message": "bad period"}])
    year = int(match.group("year"))
    if match.group("half") == "1":
        return Period(code, date(year, 1, 1), date(year, 6, 30))
    return Period(code, date(year, 7, 1), date(year, 12, 31))


def members_of(session: Session, unit: OrgUnit) -> list[Person]:
    """The people the secretary must talk with: members and activists, not the secretaries themselves."""
    secretaries = select(Position.person_id).where(
        Position.org_unit_id == unit.id, Position.role == "secretary", active_position_filter()
    )
    return list(
        session.scalars(
            select(Person)
            .join(Position, Position.person_id == Person.id)
            .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
            .where(OrgUnit.path.startswith(unit.path), Position.role.in_(SUBJECT_ROLES), active_position_filter(),
                   Person.id.not_in(secretaries))
            .order_by(Person.username)
        ).unique()
    )


def coverage(session: Session, unit: OrgUnit, half: Period) -> dict[str, Any]:
    """Who the branch secretary has talked with this half year (定期谈心全覆盖)."""
    secretaries = select(Position.person_id).where(
        Position.org_unit_id == unit.id, Position.role == "secretary", active_position_filter()
    )
    held = session.execute(
        select(Talk.subject_id, Talk.held_on, Talk.kind).where(
            Talk.org_unit_id == unit.id, Talk.held_on.is_not(None), Talk.held_on >= half.start,
            Talk.held_on <= half.end, Talk.talker_id.in_(secretaries),
        )
    ).all()
    by_subject: dict[int, list[Any]] = {}
    for row in held:
        by_subject.setdefault(row.subject_id, []).append(row)
    covered, uncovered = [], []
    for person in members_of(session, unit):
        rows = by_subject.get(person.id)
        if rows:
            covered.append({**(_who(person) or {}), "talks": len(rows),
                            "last_held_on": max(r.held_on for r in rows).isoformat()})
        else:
            uncovered.append(_who(person))
    total = len(covered) + len(uncovered)
    return {
        "org_unit": unit_dict(unit),
        "period": half.code,
        "period_label": half.label,
        "from": half.start.isoformat(),
        "to": half.end.isoformat(),
        "members": total,
        "covered_count": len(covered),
        "uncovered_count": len(uncovered),
        "ratio": round(len(covered) / total, 4) if total else 1.0,
        "covered": covered,
        "uncovered": uncovered,
    }
