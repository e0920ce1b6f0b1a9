"""Due-date expressions of user tasks (the ``due`` property, docs/bpmn-authoring.md).

Accepted forms:

* ``3 working days``, ``1 working day``, ``3 个工作日``, ``3个工作日``: Chinese
  working days counted from the day after the task became ready (local date in
  Asia/Shanghai), due at 23:59:59 of the last one;
* an ISO 8601 duration ``PnW`` or ``PnYnMnDTnHnMnS`` (``P3D``, ``PT4H``, ``P1DT2H``)
  from the moment the task became ready;
* a date ``2026-12-01`` (due at 23:59:59 Asia/Shanghai), a date-time with offset
  ``2026-12-01T18:00:00+08:00`` (that instant) or without (Asia/Shanghai);
* ``=name`` or ``=name.key``: the value of that task-data variable, which must be
  one of the forms above (a plain lookup: nothing is evaluated).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from server.calendar.workdays import WorkdayCalendar

__all__ = [
    "END_OF_DAY",
    "IsoDuration",
    "SHANGHAI",
    "DueExpressionError",
    "DueResult",
    "parse_iso_duration",
    "parse_working_days",
    "resolve_due",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)

_FORMS = "not a working-day count, ISO duration or date"

_WORKING_DAYS = re.compile(r"(?P<n>[0-9]+)\s*(?:working\s+days?|个\s*工作日)", re.IGNORECASE)
_DURATION = re.compile(
    r"P(?:(?P<weeks>[0-9]+)W"
    r"|(?=[0-9]|T[0-9])(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?=[0-9])(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?)"
)
_LOOKS_LIKE_DATE = re.compile(r"[0-9]{4}-")
_BAD_COUNT = re.compile(r"[+-]?[0-9.,]+\s*(?:working|个|工作)", re.IGNORECASE)


class DueExpressionError(ValueError):
    """A ``due`` expression that cannot be understood (or whose variable is unusable)."""


@dataclass(frozen=True)
class DueResult:
    due_at: datetime
    """Timezone-aware, in the calendar's time zone (Asia/Shanghai)."""
    estimated: bool
    """True when working days were counted in a year without an official calendar."""


@dataclass(frozen=True)
class IsoDuration:
    calendar: relativedelta
    """Years, months, weeks, days: added on the local calendar."""
    elapsed: timedelta
    """Hours, minutes, seconds: added as elapsed time."""


def parse_working_days(expr: str) -> int | None:
    """``"3 working days"`` / ``"3 个工作日"`` → 3; anything else → ``None``."""
    match = _WORKING_DAYS.fullmatch(expr.strip())
    return int(match.group("n")) if match else None


def parse_iso_duration(expr: str) -> IsoDuration | None:
    """An ISO 8601 duration (``PnW`` or ``PnYnMnDTnHnMnS``, whole numbers), or ``None``."""
    match = _DURATION.fullmatch(expr.strip().upper())
    if not match:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    return IsoDuration(
        relativedelta(
            years=parts.get("years", 0),
            months=parts.get("months", 0),
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
        ),
        timedelta(
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        ),
    )


def resolve_due(
    expr: str,
    *,
    ready_at: datetime,
    calendar: WorkdayCalendar,
    data: Mapping[str, Any] | None = None,
    tz: tzinfo = SHANGHAI,
) -> DueResult:
    """The due moment of a task that became ready at ``ready_at`` (timezone-aware).

    Raises :class:`DueExpressionError` for an expression that is not understood.
    """
    if ready_at.tzinfo is None or ready_at.utcoffset() is None:
        raise ValueError("ready_at must be timezone-aware")
    if not isinstance(expr, str):
        raise DueExpressionError(f"due {expr!r}: must be text, not {type(expr).__name__}")
    text = expr.strip()
    if not text:
        raise DueExpressionError(f'due "{expr}": empty')
    if text.startswith("="):
        return _resolve_reference(expr, text[1:].strip(), ready_at, calendar, data, tz)
    return _resolve_literal(expr, text, ready_at, calendar, tz, problem=None)


def _resolve_literal(
    expr: str,
    text: str,
    ready_at: datetime,
    calendar: WorkdayCalendar,
    tz: tzinfo,
    *,
    problem: str | None,
) -> DueResult:
    """``problem`` prefixes error messages (for a value taken from task data)."""

    def error(what: str) -> DueExpressionError:
        return DueExpressionError(f'due "{expr}": {problem or ""}{what}')

    count = parse_working_days(text)
    if count is not None:
        start = ready_at.astimezone(tz).date()
        result = calendar.add_working_days(start, count)
        return DueResult(_end_of_day(result.date, tz), result.estimated)

    if text[0] in "Pp":
        duration = parse_iso_duration(text)
        if duration is None:
            raise error(
                "not a valid ISO 8601 duration (expected PnW or PnYnMnDTnHnMnS with whole "
                "numbers, e.g. P3D, PT4H, P1DT2H)"
            )
        # Calendar part on the local wall clock, then hours/minutes/seconds as elapsed time.
        local = ready_at.astimezone(tz) + duration.calendar
        due = (local.astimezone(UTC) + duration.elapsed).astimezone(tz)
        return DueResult(due, False)

    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return DueResult(_end_of_day(day, tz), False)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        if _LOOKS_LIKE_DATE.match(text):
            raise error(f"not a valid date or date-time ({exc})") from None
        if _BAD_COUNT.match(text):
            raise error(
                'not a working-day count (a whole number >= 0, e.g. "3 working days")'
            ) from None
        raise error(_FORMS) from None
    return DueResult(_as_local(moment, tz), False)


def _resolve_reference(
    expr: str,
    path: str,
    ready_at: datetime,
    calendar: WorkdayCalendar,
    data: Mapping[str, Any] | None,
    tz: tzinfo,
) -> DueResult:
    parts = path.split(".")
    if not path or not all(part.isidentifier() for part in parts):
        raise DueExpressionError(
            f'due "{expr}": "={path}" must name a task-data variable '
            "(a name or dotted keys like plan.deadline)"
        )
    if data is None:
        raise DueExpressionError(f'due "{expr}": no task data to look up {path}')
    value: Any = data
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            raise DueExpressionError(f'due "{expr}": task data has no variable "{path}"')
        value = value[part]
    if isinstance(value, datetime):
        return DueResult(_as_local(value, tz), False)
    if isinstance(value, date):
        return DueResult(_end_of_day(value, tz), False)
    if not isinstance(value, str):
        shown = "nothing" if value is None else f"{value!r} ({type(value).__name__})"
        raise DueExpressionError(f'due "{expr}": {path} holds {shown}, not a due expression')
    text = value.strip()
    if not text:
        raise DueExpressionError(f'due "{expr}": {path} is empty')
    if text.startswith("="):
        raise DueExpressionError(f'due "{expr}": {path} holds another reference "{text}"')
    return _resolve_literal(
        expr, text, ready_at, calendar, tz, problem=f'{path} holds "{value}", which is '
    )


def _end_of_day(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def _as_local(moment: datetime, tz: tzinfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)
