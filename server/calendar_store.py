"""The working-day calendar as this server knows it: library data plus overrides."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import CalendarOverride
from server.workdays import WorkdayCalendar

_lock = threading.Lock()
_cached: tuple[tuple[int, object], WorkdayCalendar] | None = None


def calendar_for(session: Session) -> WorkdayCalendar:
    """The calendar with the current overrides; rebuilt only when they change."""
    global _cached
    stamp = session.execute(
        select(func.count(CalendarOverride.day), func.max(CalendarOverride.updated_at))
    ).one()
    key = (int(stamp[0]), stamp[1])
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    rows = session.scalars(select(CalendarOverride)).all()
    overrides = {row.day: (row.working, row.note) for row in rows}
    official_years = {row.day.year for row in rows if row.official}
    calendar = WorkdayCalendar(overrides=overrides, official_years=official_years)
    with _lock:
        _cached = (key, calendar)
    return calendar
