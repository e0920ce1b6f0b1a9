"""The demo and training clock: move the server's time forward to show a deadline passing.

Only with ``VANGUARD_CLOCK_CONTROL=1`` (``Settings.clock_control``); without it the routes
answer 404 and the command refuses. The offset lives in one database row
(``clock_offset``), so in scale-out mode every web process, scheduler and Celery worker
moves together; each process reads it at most once per ``REFRESH`` seconds
(``server.clock.now`` stays a function call and a comparison). Timers, due dates,
reminders and stage closings all read ``server.clock``, so they all follow.

The clock only moves forward (``advance``, or ``set`` to a later moment); ``reset``
returns to real time, which a trainer does between sessions, knowing that what already
happened keeps its (future) timestamps. Only an ``org_admin`` of a top-level unit may
move it, and every move is audited (``clock.moved``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, ForeignKey, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from server import audit, clock
from server.calendar.due import SHANGHAI, parse_iso_duration
from server.database import Base, UTCDateTime, db, utcnow
from server.errors import Forbidden, Invalid, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter

REFRESH = 1.0
"""Seconds a process keeps the offset it read before reading it again."""

_ROW = 1


class ClockOffset(Base):
    __tablename__ = "clock_offset"

    id: Mapped[int] = mapped_column(primary_key=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read_at = -REFRESH
        self.offset = timedelta(0)

    def __call__(self) -> timedelta:
        if time.monotonic() - self.read_at < REFRESH:
            return self.offset
        with self.lock:
            if time.monotonic() - self.read_at >= REFRESH:
                self.offset = _stored()
                self.read_at = time.monotonic()
        return self.offset

    def forget(self) -> None:
        self.read_at = -REFRESH

    def take(self, offset: timedelta) -> None:
        """The offset this process has just committed: no need to read it back."""
        with self.lock:
            self.offset = offset
            self.read_at = time.monotonic()


_cache = _Cache()
_enabled = False


def _stored() -> timedelta:
    if db.read_sessionmaker is None:
        return timedelta(0)
    session = db.read_session()
    try:
        seconds = session.scalar(select(ClockOffset.seconds).where(ClockOffset.id == _ROW))
    except Exception:  # noqa: BLE001 - a database not yet migrated has no offset
        seconds = None
    finally:
        session.close()
    return timedelta(seconds=seconds or 0.0)


def install(enabled: bool) -> None:
    """Called by ``server.bootstrap``: with the setting on, ``server.clock`` adds the shared offset."""
    global _enabled
    _enabled = enabled
    _cache.forget()
    clock.set_offset(_cache if enabled else None)


def enabled() -> bool:
    return _enabled


def _check(session: Session, actor: Person | None) -> None:
    if not _enabled:
        raise NotFound("the training clock is off (VANGUARD_CLOCK_CONTROL)")
    if actor is None:
        return
    root_admin = session.scalar(
        select(Position.id).join(OrgUnit, OrgUnit.id == Position.org_unit_id)
        .where(Position.person_id == actor.id, Position.role == "org_admin", OrgUnit.parent_id.is_(None),
               active_position_filter()).limit(1))
    if root_admin is None:
        raise Forbidden("only an org_admin of a top-level unit may move the clock")


def state(session: Session, actor: Person | None) -> dict[str, Any]:
    """``GET /api/admin/clock``: the server's time, the real time and the offset."""
    _check(session, actor)
    offset = _read(session)
    now = clock.now()
    return {"now": now.astimezone(SHANGHAI).isoformat(), "real": (now - offset).astimezone(SHANGHAI).isoformat(),
            "offset_seconds": offset.total_seconds(), "shifted": offset != timedelta(0)}


def move(session: Session, actor: Person | None, *, advance: str | None = None, set_to: str | None = None,
         reset: bool = False) -> dict[str, Any]:
    """Move the clock forward by an ISO 8601 duration, to a later moment, or back to real time."""
    _check(session, actor)
    if sum(x is not None and x is not False for x in (advance, set_to, reset or None)) != 1:
        raise Invalid("give exactly one of advance, set or reset",
                      [{"field": "advance", "message": "one of advance, set, reset"}])
    offset = _read(session)
    now = clock.now()
    real = now - offset
    if reset:
        target = real
    elif advance is not None:
        duration = parse_iso_duration(advance) if isinstance(advance, str) else None
        if duration is None:
            raise Invalid(f"'{advance}' is not an ISO 8601 duration like P10D or PT4H",
                          [{"field": "advance", "message": "not an ISO 8601 duration"}])
        target = (now.astimezone(SHANGHAI) + duration.calendar) + duration.elapsed
        if target <= now:
            raise Invalid("the clock only moves forward", [{"field": "advance", "message": "not forward"}])
    else:
        try:
            moment: datetime | None = datetime.fromisoformat(str(set_to))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise Invalid(f"'{set_to}' is not a date-time with an offset, like 2027-01-04T09:00:00+08:00",
                          [{"field": "set", "message": "not an ISO date-time with offset"}])
        target = moment
        if target <= now:
            raise Invalid("the clock only moves forward (use reset to return to real time)",
                          [{"field": "set", "message": "not later than the server's time"}])
    row = session.get(ClockOffset, _ROW, with_for_update=True)
    seconds = (target - real).total_seconds()
    if row is None:
        session.add(ClockOffset(id=_ROW, seconds=seconds, updated_at=real, updated_by_id=actor.id if actor else None))
    else:
        row.seconds, row.updated_at, row.updated_by_id = seconds, real, actor.id if actor else None
    session.flush()
    audit.record(session, "clock.moved", actor=actor, before=now.isoformat(), after=target.isoformat(),
                 offset_seconds=seconds)
    event.listen(session, "after_commit", lambda _s: _cache.take(timedelta(seconds=seconds)), once=True)
    return {"now": target.astimezone(SHANGHAI).isoformat(), "real": real.astimezone(SHANGHAI).isoformat(),
            "offset_seconds": seconds, "shifted": seconds != 0}


def _read(session: Session) -> timedelta:
    seconds = session.scalar(select(ClockOffset.seconds).where(ClockOffset.id == _ROW))
    return timedelta(seconds=seconds or 0.0)
