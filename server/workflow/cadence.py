"""Cadences of recurring starts: ``quarterly``, ``half_yearly``, cron expressions, BPMN cycles.

Counted in the server's time zone (Asia/Shanghai):

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

from dateutil.relativedelta import relativedelta

from server.calendar.due import SHANGHAI, parse_iso_duration

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

    def next_after(self, after: datetime, anchor: datetime, tz: tzinfo = SHANGHAI) -> datetime | None:
        """The first run after ``after``; periods are counted in ``tz``, a cycle from ``anchor``."""
        if self.cron is not None:
            return self.cron.next_after(after, tz)
        assert self.repeat is not None
        return self.repeat.next_after(after, anchor, tz)


def parse_cadence(text: str, bpmn_cycle: str | None = None) -> Cadence:
    """``quarterly``, ``half_yearly``, a cron expression or ``bpmn``; raises ``ValueError``."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("cadence is required: quarterly, half_yearly, a cron expression or bpmn")
    if text.strip().lower() == "bpmn":
        if not bpmn_cycle:
            raise ValueError("cadence 'bpmn' needs a process whose start event has a timer cycle")
        return Cadence("bpmn", repeat=Repeat.parse(bpmn_cycle))
    return Cadence(text.strip(), cron=Cron.parse(text))
