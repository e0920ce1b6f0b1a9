"""Periods of the ledgers: a month ``2026-12``, a quarter ``2026-Q4`` or a year ``2026``.

A programme's cadence cuts the year into its own periods (months, quarters or the year); a
quota view over any period looks at every cadence period that overlaps it, so a month's view of
a quarterly visit shows that quarter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from server.errors import Invalid

PATTERN = r"^(19[5-9][0-9]|2[01][0-9]{2}|2200)(-(0[1-9]|1[0-2])|-Q[1-4])?$"
"""A year, a month or a quarter between 1950 and 2200."""
_PERIOD = re.compile(PATTERN)


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date
    """The last day, included."""

    def months(self) -> list[tuple[int, int]]:
        out, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def month(year: int, number: int) -> Period:
    return Period(f"{year}-{number:02d}", date(year, number, 1), _month_end(year, number))


def quarter(year: int, number: int) -> Period:
    first = 3 * (number - 1) + 1
    return Period(f"{year}-Q{number}", date(year, first, 1), _month_end(year, first + 2))


def year_of(year: int) -> Period:
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def parse(code: str | None, field: str = "period") -> Period:
    found = _PERIOD.match(code or "")
    if found is None:
        raise Invalid("period is a year (2026), a quarter (2026-Q4) or a month (2026-12)",
                      [{"field": field, "message": "expected YYYY, YYYY-Qn or YYYY-MM"}])
    year = int(found.group(1))
    if found.group(3):
        return month(year, int(found.group(3)))
    if found.group(2):
        return quarter(year, int(found.group(2)[2]))
    return year_of(year)


def containing(cadence: str, day: date) -> Period:
    if cadence == "month":
        return month(day.year, day.month)
    if cadence == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year_of(day.year)


def cadence_periods(cadence: str, within: Period) -> list[Period]:
    """The cadence's periods overlapping ``within``, in order."""
    out: list[Period] = []
    day = within.start
    while day <= within.end:
        current = containing(cadence, day)
        out.append(current)
        day = current.end + timedelta(days=1)
    return out
