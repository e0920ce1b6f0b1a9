"""The working-day calendar as this server knows it: library data plus overrides."""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from server.calendar.models import CalendarOverride
from server.calendar.workdays import WorkdayCalendar

_lock = threading.Lock()


class _Cached:
    def __init__(self, key: tuple[int, object], calendar: WorkdayCalendar) -> None:
        self.key = key
        self.calendar = calendar
        self.checked_at = time.monotonic()


_cache: weakref.WeakKeyDictionary[Any, _Cached] = weakref.WeakKeyDictionary()
"""One calendar per database engine (a test's new app, a new database: nothing carried over)."""

FRESH_FOR = 1.0
"""Seconds a checked calendar is used without asking the database again. A change made in this
process is seen at once; one made by another worker process within this time."""

_CHANGED = "vanguard.calendar_changed"


def calendar_for(session: Session) -> WorkdayCalendar:
    """The calendar with the current overrides; rebuilt only when they change.

    Asking whether they changed is one query, made at most once per ``FRESH_FOR`` seconds
    (a task's due date needs the calendar on nearly every completion).
    """
    bind = session.get_bind()
    with _lock:
        cached = _cache.get(bind)
        if cached is not None and not session.info.get(_CHANGED) and time.monotonic() - cached.checked_at < FRESH_FOR:
            return cached.calendar
    stamp = session.execute(
        select(func.count(CalendarOverride.day), func.max(CalendarOverride.updated_at))
    ).one()
    key = (int(stamp[0]), stamp[1])
    with _lock:
        if cached is not None and cached.key == key:
            cached.checked_at = time.monotonic()
            return cached.calendar
    rows = session.scalars(select(CalendarOverride)).all()
    overrides = {row.day: (row.working, row.note) for row in rows}
    official_years = {row.day.year for row in rows if row.official}
    calendar = WorkdayCalendar(overrides=overrides, official_years=official_years)
    with _lock:
        _cache[bind] = _Cached(key, calendar)
    return calendar


def _recheck() -> None:
    with _lock:
        for cached in _cache.values():
            cached.checked_at = 0.0


@event.listens_for(Session, "before_flush")
def _overrides_changing(session: Session, _context: Any, _instances: Any) -> None:
    """An override written here is seen at once: by this session, and by this process."""
    if any(isinstance(obj, CalendarOverride) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        _recheck()


@event.listens_for(Session, "after_commit")
def _overrides_changed(session: Session) -> None:
    """...and by every session of this process once they are committed."""
    if session.info.pop(_CHANGED, False):
        _recheck()
