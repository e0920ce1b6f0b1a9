"""Recurring starts: a process started in every unit of a type under an org unit, each period.

A schedule's ``next_run_at`` is its own due time. When it passes, one transaction
(the schedule row locked ``SKIP LOCKED``) writes one ``schedule`` job per target
unit and moves ``next_run_at`` to the first period boundary *after now*: periods
missed while the server was down run once, not once each. Each unit's job then
starts its instance in a transaction of its own (exactly once per unit and
period; a unit whose start fails is retried without holding up the others).

Cadences are parsed by ``server.workflow.cadence``.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.errors import Declined, Forbidden, Invalid, NotFound
from server.org.models import UNIT_TYPES, OrgUnit, Person
from server.org.tree import holds_any, unit_by_ref, unit_dict
from server.workflow.cadence import Cadence, parse_cadence
from server.workflow.definitions import get_latest
from server.workflow.engine import start_timer
from server.workflow.hooks import Outcome
from server.workflow.instances import start_instance
from server.workflow.jobs import SCHEDULE, mark_fired
from server.workflow.models import JOB_CANCELLED, JOB_WAITING, ProcessDefinition, Schedule, TimerJob
from server.workflow.runs import spec_key

_TZ: tzinfo = ZoneInfo("Asia/Shanghai")


def set_timezone(name: str) -> None:
    global _TZ
    _TZ = ZoneInfo(name)


def _bpmn_cycle(definition: ProcessDefinition) -> str | None:
    found = start_timer(spec_key(definition), lambda: definition.spec_json)
    if found is None or found[0] != "cycle":
        return None
    return found[1]


def cadence_of(session: Session, schedule: Schedule) -> Cadence:
    cycle = None
    if schedule.cadence.strip().lower() == "bpmn":
        cycle = _bpmn_cycle(get_latest(session, schedule.process_key))
    return parse_cadence(schedule.cadence, cycle)


# -- the API's use cases --------------------------------------------------------------------


def _may_manage(session: Session, person: Person, unit: OrgUnit) -> bool:
    return holds_any(session, person.id, [(uid, "org_admin") for uid in unit.ancestor_ids()])


def _parse_moment(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"'{field}' must be an ISO date-time", [{"field": field, "message": "not a date-time"}])
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"'{field}' must be an ISO date-time", [{"field": field, "message": "not a date-time"}]) \
            from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=_TZ)).astimezone(UTC)


def schedule_dict(schedule: Schedule) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": schedule.id, "process_key": schedule.process_key, "org_unit": unit_dict(schedule.org_unit),
        "unit_type": schedule.unit_type, "cadence": schedule.cadence, "title": schedule.title,
        "data": schedule.data, "enabled": schedule.enabled, "next_run_at": iso(schedule.next_run_at),
        "last_run_at": iso(schedule.last_run_at), "runs": schedule.runs,
        "created_by": schedule.created_by.username if schedule.created_by else None,
        "created_at": iso(schedule.created_at),
    }


def create_schedule(session: Session, actor: Person, body: dict[str, Any]) -> Schedule:
    problems = []
    key, unit_ref, unit_type = body.get("process_key"), body.get("org_unit"), body.get("unit_type")
    cadence_text, data, title = body.get("cadence"), body.get("data", {}), body.get("title")
    if not isinstance(key, str) or not key:
        problems.append({"field": "process_key", "message": "required"})
    if not isinstance(unit_ref, (int, str)) or unit_ref == "":
        problems.append({"field": "org_unit", "message": "required (id or code)"})
    if unit_type not in UNIT_TYPES:
        problems.append({"field": "unit_type", "message": f"one of {', '.join(UNIT_TYPES)}"})
    if not isinstance(cadence_text, str) or not cadence_text.strip():
        problems.append({"field": "cadence", "message": "required: quarterly, half_yearly, cron or bpmn"})
    if not isinstance(data, dict):
        problems.append({"field": "data", "message": "must be an object"})
    if title is not None and not isinstance(title, str):
        problems.append({"field": "title", "message": "must be text"})
    if problems:
        raise Invalid("cannot create the schedule: " + ", ".join(p["field"] for p in problems), problems)
    assert isinstance(key, str) and isinstance(cadence_text, str) and isinstance(unit_ref, (int, str))
    try:
        unit = unit_by_ref(session, unit_ref)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": "org_unit", "message": "unknown unit"}]) from exc
    if not _may_manage(session, actor, unit):
        raise Forbidden(f"only an org_admin of {unit.name} or a unit above it can schedule starts there")
    try:
        definition = get_latest(session, key)
    except NotFound as exc:
        raise Invalid(exc.message, [{"field": "process_key", "message": "unknown process"}]) from exc
    try:
        cycle = _bpmn_cycle(definition) if cadence_text.strip().lower() == "bpmn" else None
        cadence = parse_cadence(cadence_text, cycle)
    except ValueError as exc:
        raise Invalid(f"cadence: {exc}", [{"field": "cadence", "message": str(exc)}]) from exc
    now = clock.now()
    schedule = Schedule(
        process_key=key, org_unit_id=unit.id, unit_type=unit_type, cadence=cadence.text,
        title=title, data=data, enabled=body.get("enabled", True) is not False, runs=0,
        created_by_id=actor.id, created_at=now, updated_at=now,
    )
    schedule.org_unit = unit
    if body.get("next_run_at") is not None:
        schedule.next_run_at = _parse_moment(body["next_run_at"], "next_run_at")
    else:
        schedule.next_run_at = cadence.next_after(now, now, _TZ)
    session.add(schedule)
    session.flush()
    audit.record(session, "schedule.created", actor=actor, schedule_id=schedule.id, process_key=key,
                 org_unit=unit.code, unit_type=unit_type, cadence=cadence.text,
                 next_run_at=schedule.next_run_at.isoformat() if schedule.next_run_at else None)
    return schedule


def update_schedule(session: Session, actor: Person, schedule_id: int, body: dict[str, Any]) -> Schedule:
    schedule = session.scalar(select(Schedule).where(Schedule.id == schedule_id).with_for_update())
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} does not exist")
    if not _may_manage(session, actor, schedule.org_unit):
        raise Forbidden("only an org_admin of the schedule's unit or a unit above it can change it")
    changes: dict[str, Any] = {}
    now = clock.now()
    if "cadence" in body:
        text = body["cadence"]
        try:
            cycle = _bpmn_cycle(get_latest(session, schedule.process_key)) \
                if isinstance(text, str) and text.strip().lower() == "bpmn" else None
            cadence = parse_cadence(text, cycle)
        except ValueError as exc:
            raise Invalid(f"cadence: {exc}", [{"field": "cadence", "message": str(exc)}]) from exc
        schedule.cadence = changes["cadence"] = cadence.text
        schedule.next_run_at = cadence.next_after(now, schedule.created_at, _TZ)
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise Invalid("'enabled' must be true or false", [{"field": "enabled", "message": "not a boolean"}])
        schedule.enabled = changes["enabled"] = body["enabled"]
        if schedule.enabled and (schedule.next_run_at is None or schedule.next_run_at <= now):
            schedule.next_run_at = cadence_of(session, schedule).next_after(now, schedule.created_at, _TZ)
    if "title" in body:
        schedule.title = changes["title"] = body["title"]
    if "data" in body:
        if not isinstance(body["data"], dict):
            raise Invalid("'data' must be an object", [{"field": "data", "message": "must be an object"}])
        schedule.data = changes["data"] = body["data"]
    if body.get("next_run_at") is not None:
        schedule.next_run_at = _parse_moment(body["next_run_at"], "next_run_at")
        changes["next_run_at"] = schedule.next_run_at.isoformat()
    schedule.updated_at = now
    audit.record(session, "schedule.updated", actor=actor, schedule_id=schedule.id, changes=changes)
    return schedule


def list_schedules(session: Session, person: Person) -> list[Schedule]:
    rows = session.scalars(select(Schedule).order_by(Schedule.id)).all()
    return [s for s in rows if _may_manage(session, person, s.org_unit)]


def ensure_shipped(session: Session, process_key: str, unit: OrgUnit, unit_type: str, cadence_text: str) \
        -> Schedule | None:
    """A schedule the product ships (created by nobody, enabled): added once per process, top unit
    and unit type, and never again once it exists, so an org_admin's change or disabling stays."""
    exists = session.scalar(select(Schedule.id).where(Schedule.process_key == process_key,
                                                      Schedule.org_unit_id == unit.id,
                                                      Schedule.unit_type == unit_type).limit(1))
    if exists is not None:
        return None
    cadence = parse_cadence(cadence_text, None)
    now = clock.now()
    schedule = Schedule(process_key=process_key, org_unit_id=unit.id, unit_type=unit_type, cadence=cadence.text,
                        title=None, data={}, enabled=True, runs=0, created_by_id=None, created_at=now,
                        updated_at=now, next_run_at=cadence.next_after(now, now, _TZ))
    schedule.org_unit = unit
    session.add(schedule)
    session.flush()
    audit.record(session, "schedule.shipped", actor=None, schedule_id=schedule.id, process_key=process_key,
                 org_unit=unit.code, unit_type=unit_type, cadence=cadence.text,
                 next_run_at=schedule.next_run_at.isoformat() if schedule.next_run_at else None)
    return schedule


# -- running --------------------------------------------------------------------------------


def expand_next_due(session: Session, now: datetime) -> Schedule | None:
    """Lock one due schedule (``SKIP LOCKED``), write a job per target unit, move it on.

    Returns the schedule, or ``None`` when none is due. The caller commits.
    """
    schedule = session.scalar(
        select(Schedule)
        .where(Schedule.enabled.is_(True), Schedule.next_run_at.is_not(None), Schedule.next_run_at <= now)
        .order_by(Schedule.next_run_at, Schedule.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if schedule is None:
        return None
    period = schedule.next_run_at
    assert period is not None
    root = schedule.org_unit
    units = session.scalars(
        select(OrgUnit)
        .where(OrgUnit.path.startswith(root.path), OrgUnit.type == schedule.unit_type,
               OrgUnit.dissolved_at.is_(None))
        .order_by(OrgUnit.path)
    ).all()
    stamp = period.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for unit in units:
        session.add(TimerJob(
            key=f"schedule:{schedule.id}:{stamp}:{unit.id}", kind=SCHEDULE, schedule_id=schedule.id,
            org_unit_id=unit.id, due_at=now, state=JOB_WAITING, attempts=0,
        ))
    missed = 0
    try:
        cadence = cadence_of(session, schedule)
        following = cadence.next_after(period, schedule.created_at, _TZ)
        while following is not None and following <= now and missed < 10_000:
            missed += 1
            following = cadence.next_after(following, schedule.created_at, _TZ)
        next_run = following
    except (ValueError, NotFound) as exc:
        next_run = None
        audit.record(session, "schedule.broken", actor=None, schedule_id=schedule.id, error=str(exc))
    schedule.last_run_at = now
    schedule.runs += 1
    schedule.next_run_at = next_run
    if next_run is None:
        schedule.enabled = False
    schedule.updated_at = now
    audit.record(session, "schedule.run", actor=None, schedule_id=schedule.id, period=period.isoformat(),
                 units=len(units), missed_periods=missed,
                 next_run_at=next_run.isoformat() if next_run else None)
    return schedule


def fire_scheduled_start(session: Session, job: TimerJob, now: datetime, worker: str) -> Outcome:
    schedule = session.get(Schedule, job.schedule_id) if job.schedule_id is not None else None
    if schedule is None or (not schedule.enabled and schedule.next_run_at is not None):
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, "schedule gone or disabled")
    assert job.org_unit_id is not None
    period = job.key.split(":")[2]
    data = dict(schedule.data or {})
    data.update(schedule_id=schedule.id, schedule_period=period)
    try:
        instance = start_instance(
            session, process_key=schedule.process_key, org_unit=job.org_unit_id, data=data, actor=None,
            title=schedule.title or None, start_timer_fired=True,  # the schedule is the start event's trigger
        )
    except Declined as exc:  # the start hook refused before writing anything: nothing to retry
        job.state = JOB_CANCELLED
        job.last_error = exc.message[:2000]
        audit.record(session, "schedule.passed_by", actor=None, schedule_id=schedule.id, job_id=job.id,
                     org_unit_id=job.org_unit_id, period=period, reason=exc.message)
        return Outcome(JOB_CANCELLED, exc.message)
    mark_fired(job, now, worker)
    job.instance_id = instance.id
    audit.record(session, "schedule.started", actor=None, instance_id=instance.id, schedule_id=schedule.id,
                 job_id=job.id, org_unit_id=job.org_unit_id, period=period, worker=worker)
    return Outcome("fired", f"instance {instance.id}")
