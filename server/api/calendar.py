"""The working-day calendar: counting, a year's special days, an administrator's overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import audit, clock
from server.api.contract import declare
from server.api.schemas.calendar import AddQuery, CalendarYear, OverriddenDay, Override, WorkingDayCount, YearQuery
from server.calendar.due import SHANGHAI
from server.calendar.models import CalendarOverride
from server.calendar.store import calendar_for
from server.calendar.workdays import FIRST_YEAR, LAST_YEAR, LIBRARY_COVERED_YEARS, DayInfo, supported
from server.errors import BadRequest, Forbidden, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter
from server.requests import me, read, write

bp = Blueprint("calendar", __name__)
TAGS = ("calendar",)


def _date(text: str, field: str) -> date:
    """A date in the path."""
    if not text:
        raise BadRequest(f"'{field}' is required (YYYY-MM-DD)", [{"field": field, "message": "required"}])
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"'{field}' must be a date YYYY-MM-DD", [{"field": field, "message": "not a date"}]) \
            from None
    if not supported(day):
        raise BadRequest(f"'{field}' must be a date between {FIRST_YEAR} and {LAST_YEAR}",
                         [{"field": field, "message": "out of range"}])
    return day


def day_dict(info: DayInfo) -> dict[str, Any]:
    return {"date": info.date.isoformat(), "working": info.working, "kind": info.kind, "name": info.name,
            "overridden": info.overridden}


@bp.get("/calendar/add")
@declare(query=AddQuery, ok=WorkingDayCount, tags=TAGS)
def calendar_add(query: AddQuery) -> Any:
    """Count working days: the N-th working day after start (Chinese holidays and 调休)"""
    start, n = query.start, query.working_days

    def count(session: Session) -> dict[str, Any]:
        result = calendar_for(session).add_working_days(start, n)
        return {"start": start.isoformat(), "working_days": n, "date": result.date.isoformat(),
                "estimated": result.estimated}

    return jsonify(read(count))


@bp.get("/calendar")
@declare(query=YearQuery, ok=CalendarYear, tags=TAGS)
def calendar_year(query: YearQuery) -> Any:
    """A year's holidays, make-up workdays and overridden days; estimated if not official"""
    year = query.year or clock.now().astimezone(SHANGHAI).year

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


@bp.put("/calendar/overrides/<day>")
@declare(body=Override, ok=OverriddenDay, errors=(403,), write=True, tags=TAGS)
def put_override(day: str, json: Override) -> Any:
    """Set one day working or not (org_admin of the top unit); official marks the year loaded"""
    when = _date(day, "day")
    working, note, official = json.working, json.note or "", json.official

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


@bp.delete("/calendar/overrides/<day>")
@declare(status=204, errors=(400, 403, 404), write=True, tags=TAGS)
def delete_override(day: str) -> Any:
    """Remove a day's override (org_admin of the top unit)"""
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
