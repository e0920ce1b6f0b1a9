"""Recurring starts: a process started in every unit of a type under an org unit, each period.

A schedule's ``next_run_at`` is its own due time. When it passes, one transaction
(the schedule row locked ``SKIP LOCKED``) writes one ``schedule`` job per target
unit and moves ``next_run_at`` to the first period boundary *after now*: periods
missed while the server was down run once, not once each. Each unit's job then
starts its instance in a transaction of its own (exactly once per unit and
period; a unit whose start fails is retried without holding up the others).

Cadences, counted in the server's time zone (Asia/Shanghai):

* ``quarterly``: 00:00 on 1 January, April, July, October;
* ``half_yearly``: 00:00 on 1 January and 1 July;
* a five-field cron expression ``minute hour day-of-month month day-of-week``
  (``*``, ``a-b``, ``*/n``, lists, month and day names; ``@daily``, ``@weekly``,
  ``@monthly``, ``@quarterly``, ``@yearly``), e.g. ``0 9 1 */3 *``;
* ``bpmn``: the ISO 8601 repeating interval of the process's own timer start
  event, e.g. ``"R/2026-01-01T00:00:00+08:00/P3M"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit, clock
from server.calendar.due import parse_iso_duration
from server.errors import Forbidden, Invalid, NotFound
from server.org.models import UNIT_TYPES, OrgUnit, Person
from server.org.tree import holds_any, unit_by_ref, unit_dict
from server.workflow.definitions import get_latest
from server.workflow.engine import start_timer
from server.workflow.jobs import SCHEDULE, Outcome
from server.workflow.models import JOB_CANCELLED, JOB_WAITING, ProcessDefinition, Schedule, TimerJob

_TZ: tzinfo = ZoneInfo("Asia/Shanghai")


def set_timezone(name: str) -> None:
    global _TZ
    _TZ = ZoneInfo(name)


# -- cadences -------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_ALIASES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    "@quarterly": "0 0 1 1,4,7,10 *", "quarterly": "0 0 1 1,4,7,10 *", "half_yearly": "0 0 1 1,7 *",
}


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"bad step '{step_text}'")
            step = int(step_text)
        if part == "*":
            first, last = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _value(a, names), _value(b, names)
        else:
            first = _value(part, names)
            last = hi if step > 1 else first
        if not (lo <= first <= hi and lo <= last <= hi) or first > last:
            raise ValueError(f"'{part}' is outside {lo}-{hi}")
        values.update(range(first, last + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text in names:
        return names[text]
    if not text.isdigit():
        raise ValueError(f"'{text}' is not a number")
    return int(text)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        expr = _ALIASES.get(text.strip().lower(), text.strip())
        fields = expr.split()
        if len(fields) != 5:
            raise ValueError("a cron expression has five fields: minute hour day-of-month month day-of-week")
        try:
            weekdays = {d % 7 for d in _field(fields[4], 0, 7, _DAYS)}
            return cls(
                frozenset(_field(fields[0], 0, 59)), frozenset(_field(fields[1], 0, 23)),
                frozenset(_field(fields[2], 1, 31)), frozenset(_field(fields[3], 1, 12, _MONTHS)),
                frozenset(weekdays), fields[2] == "*", fields[4] == "*",
            )
        except ValueError as exc:
            raise ValueError(f"cron '{text}': {exc}") from None

    def _day_matches(self, day: datetime) -> bool:
        dom = day.day in self.days
        dow = (day.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return dow
        if self.any_weekday:
            return dom
        return dom or dow  # cron: either restriction matches when both are given

    def next_after(self, after: datetime, tz: tzinfo) -> datetime | None:
        t = after.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        limit = t + timedelta(days=366 * 6)
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + relativedelta(months=1))
                continue
            if not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t.replace(tzinfo=tz).astimezone(UTC)
        return None


_REPEAT = re.compile(r"R(?P<n>[0-9]*)/(?P<rest>.+)", re.IGNORECASE)


@dataclass(frozen=True)
class Repeat:
    """An ISO 8601 repeating interval ``R[n]/start/duration`` or ``R[n]/duration``."""

    cycles: int | None
    start: datetime | None
    calendar: relativedelta
    elapsed: timedelta

    @classmethod
    def parse(cls, text: str) -> Repeat:
        match = _REPEAT.fullmatch(text.strip().strip('"').strip("'"))
        if not match:
            raise ValueError(f"'{text}' is not a repeating interval like R/2026-01-01T00:00:00+08:00/P3M")
        parts = match.group("rest").split("/")
        start = None
        if len(parts) == 2:
            try:
                start = datetime.fromisoformat(parts[0])
            except ValueError:
                raise ValueError(f"'{parts[0]}' is not a start date-time") from None
            duration_text = parts[1]
        elif len(parts) == 1:
            duration_text = parts[0]
        else:
            raise ValueError(f"'{text}': only R[n]/start/duration and R[n]/duration are supported")
        duration = parse_iso_duration(duration_text)
        if duration is None or (not duration.calendar and not duration.elapsed):
            raise ValueError(f"'{duration_text}' is not a usable ISO 8601 duration")
        return cls(int(match.group("n")) if match.group("n") else None, start,
                   duration.calendar, duration.elapsed)

    def occurrence(self, anchor: datetime, k: int, tz: tzinfo) -> datetime:
        start = self.start or anchor
        if start.tzinfo is None:
            start = start.replace(tzinfo=tz)
        if self.start is None:
            k += 1  # R/P3M: the first run is one period after the schedule was made
        local = start.astimezone(tz) + self.calendar * k
        return local.astimezone(UTC) + self.elapsed * k

    def next_after(self, after: datetime, anchor: datetime, tz: tzinfo) -> datetime | None:
        k = 0
        if not self.calendar and self.elapsed:
            first = self.occurrence(anchor, 0, tz)
            if first <= after:
                k = int((after - first) / self.elapsed)
        while self.occurrence(anchor, k, tz) <= after:
            k += 1
            if k > 100_000:
                return None
        if self.cycles is not None and k >= self.cycles:
            return None
        return self.occurrence(anchor, k, tz)


@dataclass(frozen=True)
class Cadence:
    text: str
    cron: Cron | None = None
    repeat: Repeat | None = None

    def next_after(self, after: datetime, anchor: datetime) -> datetime | None:
        if self.cron is not None:
            return self.cron.next_after(after, _TZ)
        assert self.repeat is not None
        return self.repeat.next_after(after, anchor, _TZ)


def parse_cadence(text: str, bpmn_cycle: str | None = None) -> Cadence:
    """``quarterly``, ``half_yearly``, a cron expression or ``bpmn``; raises ``ValueError``."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("cadence is required: quarterly, half_yearly, a cron expression or bpmn")
    if text.strip().lower() == "bpmn":
        if not bpmn_cycle:
            raise ValueError("cadence 'bpmn' needs a process whose start event has a timer cycle")
        return Cadence("bpmn", repeat=Repeat.parse(bpmn_cycle))
    return Cadence(text.strip(), cron=Cron.parse(text))


def _bpmn_cycle(definition: ProcessDefinition) -> str | None:
    from server.workflow.instances import _spec_key

    found = start_timer(_spec_key(definition), lambda: definition.spec_json)
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
        schedule.next_run_at = cadence.next_after(now, now)
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
        schedule.next_run_at = cadence.next_after(now, schedule.created_at)
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise Invalid("'enabled' must be true or false", [{"field": "enabled", "message": "not a boolean"}])
        schedule.enabled = changes["enabled"] = body["enabled"]
        if schedule.enabled and (schedule.next_run_at is None or schedule.next_run_at <= now):
            schedule.next_run_at = cadence_of(session, schedule).next_after(now, schedule.created_at)
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
        .where(OrgUnit.path.startswith(root.path), OrgUnit.type == schedule.unit_type)
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
        following = cadence.next_after(period, schedule.created_at)
        while following is not None and following <= now and missed < 10_000:
            missed += 1
            following = cadence.next_after(following, schedule.created_at)
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
    from server.workflow.instances import start_instance
    from server.workflow.jobs import _mark_fired

    schedule = session.get(Schedule, job.schedule_id) if job.schedule_id is not None else None
    if schedule is None or (not schedule.enabled and schedule.next_run_at is not None):
        job.state = JOB_CANCELLED
        return Outcome(JOB_CANCELLED, "schedule gone or disabled")
    assert job.org_unit_id is not None
    period = job.key.split(":")[2]
    data = dict(schedule.data or {})
    data.update(schedule_id=schedule.id, schedule_period=period)
    instance = start_instance(
        session, process_key=schedule.process_key, org_unit=job.org_unit_id, data=data, actor=None,
        title=schedule.title or None, start_timer_fired=True,  # the schedule is the start event's trigger
    )
    _mark_fired(job, now, worker)
    job.instance_id = instance.id
    audit.record(session, "schedule.started", actor=None, instance_id=instance.id, schedule_id=schedule.id,
                 job_id=job.id, org_unit_id=job.org_unit_id, period=period, worker=worker)
    return Outcome("fired", f"instance {instance.id}")
