"""Activity records: what a member did, kept in step with its ``activity_report`` instance.

``record_activity`` starts the process and completes its first task (``WriteReport``) in one
transaction; a member records for himself, the secretary (or deputy) of his unit on his behalf.
The completion handlers write the ``activity_record`` row: ``WriteReport`` (submitted again
after a return) checks the programme's season and attaches the uploads; ``ReviewReport``
confirms or returns it. Only confirmed records count toward a quota (``quota.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox import completion
from inbox.models import OPEN, Task
from server import clock
from server.access import OVERSEER_ROLES, can_see_unit, oversees
from server.activities import programmes, tally
from server.activities.models import ActivityProgramme, ActivityRecord
from server.attachments import service as attachments
from server.calendar.due import SHANGHAI
from server.errors import Conflict, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, person_by_username, unit_by_ref
from server.workflow.hooks import Completion, CompletionHandler, StartHook
from server.workflow.instances import start_instance
from server.workflow.models import ProcessDefinition, ProcessInstance

PROCESS_KEY = "activity_report"
OWNER_KIND = "activity_record"
FORM_FIELDS = ("activity", "activity_date", "hours", "place", "beneficiary", "attachments")
"""The fields of ``WriteReport``'s form, also the API's."""


def member_units(session: Session, person_id: int) -> list[OrgUnit]:
    return list(session.scalars(
        select(OrgUnit).join(Position, Position.org_unit_id == OrgUnit.id)
        .where(Position.person_id == person_id, Position.role == "member", active_position_filter())
        .order_by(OrgUnit.id)))


def _member_unit(session: Session, member: Person, ref: Any) -> OrgUnit:
    units = member_units(session, member.id)
    if ref not in (None, ""):
        unit = unit_by_ref(session, ref)
        if unit.id not in {u.id for u in units}:
            raise Invalid(f"{member.display_name} is not a member of {unit.name}",
                          [{"field": "org_unit", "message": "not his unit"}])
        return unit
    if len(units) != 1:
        raise Invalid(f"{member.display_name} is a member of {len(units)} units: name the unit",
                      [{"field": "org_unit", "message": "required"}])
    return units[0]


def today() -> date:
    return clock.now().astimezone(SHANGHAI).date()


# -- the start hook and completion handlers (plugged in by server.activities.family) -------------


def start_hook(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
               actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    """Who the record is for (``member``, default: the starter) and its programme, checked."""
    if actor is None:
        raise Invalid("an activity is recorded by a person: a schedule cannot start one",
                      [{"field": "member", "message": "no starter"}])
    member = person_by_username(session, str(data["member"])) if data.get("member") else actor
    if member.id != actor.id and not oversees(session, actor.id, unit):
        raise Forbidden(f"only the secretary of {unit.name} may record an activity on someone's behalf")
    programme_id = data.get("programme_id")
    if programme_id is not None:
        programme = session.get(ActivityProgramme, programme_id) if isinstance(programme_id, int) else None
        if programme is None or not programme.active or not programmes.applies_to(programme, unit):
            raise Invalid(f"programme {programme_id} does not apply to {unit.name}",
                          [{"field": "programme", "message": "not a programme of this unit"}])
        data["programme_name"] = programme.name
    data.update(member=member.username, member_id=member.id, member_name=member.display_name,
                title=data.get("title") or f"活动记录：{member.display_name}")
    return data


def _write(c: Completion) -> bool:
    """``WriteReport``: the record, submitted (again); the programme's season checked."""
    session = c.session
    done_on = date.fromisoformat(str(c.data["activity_date"]))
    programme_id = c.task.data.get("programme_id")
    programme = session.get(ActivityProgramme, programme_id) if programme_id is not None else None
    if programme is not None and not programmes.in_season(programme, done_on.month):
        months = "、".join(f"{m}月" for m in programme.season_months or [])
        raise Invalid(f"{programme.name} is done in {months} only: {done_on.isoformat()} is outside its season",
                      [{"field": "activity_date", "message": "outside the programme's season"}])
    if done_on > today():
        raise Invalid("an activity is recorded once it is done: the date is in the future",
                      [{"field": "activity_date", "message": "in the future"}])
    record = session.scalar(select(ActivityRecord).where(ActivityRecord.instance_id == c.task.instance_id))
    if record is None:
        instance = session.get(ProcessInstance, c.task.instance_id)
        assert instance is not None
        record = ActivityRecord(instance_id=c.task.instance_id, org_unit_id=instance.org_unit_id,
                                member_id=c.task.data.get("member_id") or c.person.id,
                                programme_id=programme.id if programme is not None else None,
                                created_at=c.now)
        session.add(record)
    record.recorded_by_id = c.person.id
    record.what = str(c.data["activity"])
    record.done_on = done_on
    record.hours = float(c.data["hours"])
    record.place = c.data.get("place") or None
    record.beneficiary = c.data.get("beneficiary") or None
    record.state, record.review_note, record.updated_at = "submitted", None, c.now
    session.flush()
    attachments.claim(session, c.person, c.data.get("attachments") or [], OWNER_KIND, record.id)
    return False


def _review(c: Completion) -> bool:
    """``ReviewReport``: confirmed (counts toward the quota) or returned with the reason; never by
    the member himself (a secretary's own record is confirmed by the deputy)."""
    record = c.session.scalar(select(ActivityRecord).where(ActivityRecord.instance_id == c.task.instance_id))
    if record is None:
        return False  # an instance started before the ledgers existed (0.1.x) has no record
    if record.member_id == c.person.id:
        raise Forbidden("your own activity record is confirmed by someone else (the deputy secretary)")
    record.state = "confirmed" if c.data.get("decision") == "approve" else "returned"
    record.review_note = c.data.get("reason") or None
    record.reviewed_by_id, record.reviewed_at, record.updated_at = c.person.id, c.now, c.now
    tally.count(c.session, record)
    return False


START_HOOKS: dict[str, StartHook] = {PROCESS_KEY: start_hook}
COMPLETIONS: dict[tuple[str, str], CompletionHandler] = {
    (PROCESS_KEY, "WriteReport"): _write,
    (PROCESS_KEY, "ReviewReport"): _review,
}


# -- use cases -------------------------------------------------------------------------------------


def session_record(session: Session, instance_id: int) -> ActivityRecord:
    record = session.scalar(select(ActivityRecord).where(ActivityRecord.instance_id == instance_id))
    if record is None:
        raise NotFound(f"process instance {instance_id} carries no activity record")
    return record


def _open_task(session: Session, instance_id: int | None, element_id: str) -> Task | None:
    return session.scalar(select(Task).where(Task.instance_id == instance_id, Task.element_id == element_id,
                                             Task.state == OPEN))


def record_activity(session: Session, actor: Person, body: dict[str, Any]) -> ActivityRecord:
    """Record what a member did: start ``activity_report`` and submit its first task."""
    member = person_by_username(session, body["member"]) if body.get("member") else actor
    unit = _member_unit(session, member, body.get("org_unit"))
    start: dict[str, Any] = {"member": member.username}
    if body.get("programme") is not None:
        start["programme_id"] = body["programme"]
    instance = start_instance(session, process_key=PROCESS_KEY, org_unit=unit.id, data=start, actor=actor)
    task = _open_task(session, instance.id, "WriteReport")
    if task is None:
        raise Conflict("the activity_report process did not open its WriteReport task")
    form = {key: body[key] for key in FORM_FIELDS if body.get(key) not in (None, "", [])}
    completion.complete(session, actor, task.id, form)
    return session_record(session, instance.id)


def review(session: Session, actor: Person, record_id: int, decision: str, reason: str | None) -> ActivityRecord:
    """The secretary confirms or returns a submitted record (its ``ReviewReport`` task)."""
    record = get_visible(session, actor, record_id)
    task = _open_task(session, record.instance_id, "ReviewReport")
    if task is None:
        raise Conflict(f"record {record_id} is {record.state}: it waits for no review")
    data: dict[str, Any] = {"decision": decision}
    if reason:
        data["reason"] = reason
    completion.complete(session, actor, task.id, data)
    return record


def resubmit(session: Session, actor: Person, record_id: int, body: dict[str, Any]) -> ActivityRecord:
    """A returned record, corrected and submitted again (its ``WriteReport`` task)."""
    record = get_visible(session, actor, record_id)
    if actor.id not in (record.member_id, record.recorded_by_id):
        raise Forbidden("a returned record is corrected by the member or whoever recorded it")
    task = _open_task(session, record.instance_id, "WriteReport")
    if task is None:
        raise Conflict(f"record {record_id} is {record.state}: only a returned record is submitted again")
    current = {"activity": record.what, "activity_date": record.done_on.isoformat(), "hours": record.hours,
               "place": record.place, "beneficiary": record.beneficiary,
               "attachments": [a.id for a in attachments.attached(session, OWNER_KIND, [record.id])[record.id]]}
    current.update({k: v for k, v in body.items() if k in FORM_FIELDS})
    form = {key: current[key] for key in FORM_FIELDS if current.get(key) not in (None, "", [])}
    completion.complete(session, actor, task.id, form)
    return record


def oversees_records(session: Session, person: Person, unit: OrgUnit) -> bool:
    """The overseers of the unit (secretary, deputy, committee, org_admin) and of the units above."""
    if can_see_unit(session, person.id, unit.id, overseers_only=True):
        return True
    found = select(Position.id).where(Position.person_id == person.id, Position.org_unit_id.in_(unit.ancestor_ids()),
                                      Position.role.in_(OVERSEER_ROLES), active_position_filter()).limit(1)
    return session.scalar(found) is not None


def check_oversees_records(session: Session, person: Person, unit: OrgUnit) -> None:
    if not oversees_records(session, person, unit):
        raise Forbidden(f"the records of {unit.name} are read by its secretary, deputy and committee and "
                        "the organisations above it")


def may_see(session: Session, person: Person, record: ActivityRecord) -> bool:
    """The member, whoever recorded it, the overseers of its unit and of the units above."""
    return person.id in (record.member_id, record.recorded_by_id) or oversees_records(session, person,
                                                                                       record.org_unit)


def may_see_id(session: Session, person: Person, record_id: int) -> bool:
    record = session.get(ActivityRecord, record_id)
    return record is not None and may_see(session, person, record)


def get_visible(session: Session, person: Person, record_id: int) -> ActivityRecord:
    record = session.get(ActivityRecord, record_id)
    if record is None or not may_see(session, person, record):
        raise NotFound(f"activity record {record_id} does not exist")
    return record


def record_dict(session: Session, record: ActivityRecord) -> dict[str, Any]:
    files = attachments.attached(session, OWNER_KIND, [record.id])[record.id]
    programme = record.programme
    return {
        "id": record.id, "instance_id": record.instance_id, "state": record.state,
        "programme": None if programme is None else {"id": programme.id, "code": programme.code,
                                                     "name": programme.name},
        "org_unit": {"id": record.org_unit.id, "code": record.org_unit.code, "name": record.org_unit.name},
        "member": {"id": record.member.id, "username": record.member.username, "name": record.member.display_name},
        "recorded_by": {"id": record.recorded_by.id, "username": record.recorded_by.username,
                        "name": record.recorded_by.display_name},
        "activity": record.what, "activity_date": record.done_on.isoformat(), "place": record.place,
        "beneficiary": record.beneficiary, "hours": record.hours, "review_note": record.review_note,
        "reviewed_at": record.reviewed_at.isoformat() if record.reviewed_at else None,
        "attachments": [attachments.attachment_dict(a) for a in files],
    }
