"""The working-day calendar: counting, a year's special days, an administrator's overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import audit, clock
from server.api import api_bp, int_arg, json_body
from server.calendar.due import SHANGHAI
from server.calendar.models import CalendarOverride
from server.calendar.store import calendar_for
from server.calendar.workdays import LIBRARY_COVERED_YEARS, DayInfo
from server.errors import BadRequest, Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter
from server.requests import me, read, write


def _date(text: str | None, field: str) -> date:
    if not text:
        raise BadRequest(f"'{field}' is required (YYYY-MM-DD)", [{"field": field, "message": "required"}])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"'{field}' must be a date YYYY-MM-DD", [{"field": field, "message": "not a date"}]) \
            from None


def day_dict(info: DayInfo) -> dict[str, Any]:
    return {"date": info.date.isoformat(), "working": info.working, "kind": info.kind, "name": info.name,
            "overridden": info.overridden}


@api_bp.get("/calendar/add")
def calendar_add() -> Any:
    start = _date(request.args.get("start"), "start")
    if request.args.get("working_days") is None:
        raise BadRequest("'working_days' is required", [{"field": "working_days", "message": "required"}])
    n = int_arg("working_days", 0, 0, 3660)

    def count(session: Session) -> dict[str, Any]:
        result = calendar_for(session).add_working_days(start, n)
        return {"start": start.isoformat(), "working_days": n, "date": result.date.isoformat(),
                "estimated": result.estimated}

    return jsonify(read(count))


@api_bp.get("/calendar")
def calendar_year() -> Any:
    this_year = clock.now().astimezone(SHANGHAI).year
    year = int_arg("year", this_year, 1950, 2200)

    def listing(session: Session) -> dict[str, Any]:
        calendar = calendar_for(session)
        return {
            "year": year,
            "estimated": calendar.is_estimated(year),
            "library_covered": year in LIBRARY_COVERED_YEARS,
            "official_override": year in calendar.official_years,
            "days": [day_dict(d) for d in calendar.year(year)],
        }

    return jsonify(read(listing))


def _require_calendar_admin(session: Session, person: Person) -> None:
    """The calendar is the whole server's: an org_admin of a top-level unit sets it."""
    found = session.scalar(
        select(Position.id)
        .join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id == person.id, Position.role == "org_admin", OrgUnit.parent_id.is_(None),
               active_position_filter())
        .limit(1)
    )
    if found is None:
        raise Forbidden("only an org_admin of the top-level organisation may change the working-day calendar")


def _stamp(session: Session) -> datetime:
    """A time later than every override's, so that every change refreshes cached calendars."""
    latest = session.scalar(select(func.max(CalendarOverride.updated_at)))
    now = max(clock.now(), datetime.now(UTC))
    return max(now, latest + timedelta(microseconds=1)) if latest is not None else now


@api_bp.put("/calendar/overrides/<day>")
def put_override(day: str) -> Any:
    when = _date(day, "day")
    body = json_body()
    working, note, official = body.get("working"), body.get("note", ""), body.get("official", False)
    problems = []
    if not isinstance(working, bool):
        problems.append({"field": "working", "message": "required: true or false"})
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > 200:
        problems.append({"field": "note", "message": "text of at most 200 characters"})
    if not isinstance(official, bool):
        problems.append({"field": "official", "message": "true or false"})
    if problems:
        raise Invalid("cannot set the day: " + ", ".join(p["field"] for p in problems), problems)

    def change(session: Session) -> dict[str, Any]:
        person = me(session)
        _require_calendar_admin(session, person)
        row = session.get(CalendarOverride, when)
        previous = {"working": row.working, "note": row.note, "official": row.official} if row else None
        if row is None:
            row = CalendarOverride(day=when)
            session.add(row)
        row.working, row.note, row.official = bool(working), str(note), bool(official)
        row.updated_at = _stamp(session)
        row.updated_by_id = person.id
        audit.record(session, "calendar.override_set", actor=person, day=when.isoformat(), working=working,
                     note=note, official=official, previous=previous)
        session.flush()
        info = calendar_for(session).day_kind(when)
        return {**day_dict(info), "note": note, "official": official}

    return jsonify(write(change))


@api_bp.delete("/calendar/overrides/<day>")
def delete_override(day: str) -> Any:
    when = _date(day, "day")

    def remove(session: Session) -> None:
        person = me(session)
        _require_calendar_admin(session, person)
        row = session.get(CalendarOverride, when)
        if row is None:
            raise NotFound(f"no override for {when.isoformat()}")
        audit.record(session, "calendar.override_removed", actor=person, day=when.isoformat(),
                     previous={"working": row.working, "note": row.note, "official": row.official})
        session.delete(row)

    write(remove)
    return "", 204
