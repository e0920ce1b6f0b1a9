"""Time as SpiffWorkflow's timers see it: ``server.clock``, the local zone, and firing.

SpiffWorkflow's timers call ``datetime.now(timezone.utc)`` inside their own module. Its
``datetime`` name is pointed at a subclass whose ``now()`` reads ``server.clock``, so a test
that moves the clock moves every timer with it, and no other SpiffWorkflow code is touched.
Naive timer dates mean local time of the calendar's zone (Asia/Shanghai), not the zone of
whatever machine the worker runs on.

Importing this module applies the patch; every module of the package that runs timers
imports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from server import clock
from server.calendar.due import SHANGHAI

_MICROSECOND = timedelta(microseconds=1)
_LONG_AGO = "2000-01-01T00:00:00+00:00"

_FIRING_AT: ContextVar[datetime | None] = ContextVar("vanguard_firing_at", default=None)
"""While ``Run.fire_due_timers(now)`` runs: timers due at ``now`` itself count as due."""


class _ClockDatetime(datetime):
    """``datetime`` whose ``now()`` is ``server.clock.now()``."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        current = clock.now()
        if current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        firing_at = _FIRING_AT.get()
        if firing_at is not None and current <= firing_at:
            # SpiffWorkflow fires when due < now; the scheduler fires when due <= now.
            current = firing_at + _MICROSECOND
        if tz is None:
            return current.astimezone().replace(tzinfo=None)
        return current.astimezone(tz)


_spiff_timer.datetime = _ClockDatetime
_LOCAL_TZ: tzinfo = SHANGHAI
_spiff_timer.LOCALTZ = _LOCAL_TZ


def set_local_timezone(tz: tzinfo) -> None:
    """The zone of naive timer dates and of working-day timers (``VANGUARD_TIMEZONE``)."""
    global _LOCAL_TZ
    _LOCAL_TZ = tz
    _spiff_timer.LOCALTZ = tz


def local_timezone() -> tzinfo:
    """The zone last given to ``set_local_timezone`` (Asia/Shanghai until then)."""
    return _LOCAL_TZ


@contextmanager
def firing_at(now: datetime) -> Iterator[None]:
    """While this lasts, SpiffWorkflow's clock reads at least just after ``now``."""
    token = _FIRING_AT.set(now)
    try:
        yield
    finally:
        _FIRING_AT.reset(token)


def _timer_due(event: TimerEventDefinition, task: Any) -> datetime | None:
    """When a waiting timer falls due, read as SpiffWorkflow reads it (naive: local zone)."""
    try:
        value = event.details(task).value
    except Exception:  # noqa: BLE001 - a broken expression is reported when the timer fires
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_LOCAL_TZ)
        return moment.astimezone(UTC)
    if not isinstance(value, str):
        return None
    try:
        result: datetime = TimerEventDefinition.get_datetime(value)
    except (ValueError, TypeError):
        return None
    return datetime.fromtimestamp(result.timestamp(), UTC)
