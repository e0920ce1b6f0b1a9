"""The Chinese working-day calendar: public holidays, make-up workdays (调休) and overrides.

Working days in China are not simply Monday to Friday. Around the long holidays
(Spring Festival, National Day, ...) the State Council moves days: a weekday becomes
a day off and a Saturday or Sunday becomes a working day (a *make-up workday*,
调休上班). The ``holidays`` library knows both for the years whose official notice
it contains; for later years it silently estimates the holidays by rule, without
any make-up workdays.

Why overrides exist: the official calendar for the next year is published by the
General Office of the State Council each December (sometimes with later changes),
usually before a ``holidays`` release with it reaches this server. An administrator
must therefore be able to load or correct days himself. An override
``date -> (is_working_day, note)`` always wins over the library. A year for which
the administrator has loaded the official calendar (``official_years``) counts as
covered, so that counts in it are no longer flagged as estimated. Loading an
official year means overriding every day on which the official notice differs
from the library's estimate (see :meth:`WorkdayCalendar.year` for that estimate).

This module is pure Python: the database layer (``server.calendar.store``) loads
the overrides and passes them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from types import MappingProxyType

import holidays

__all__ = [
    "DEFAULT_LANGUAGE",
    "LIBRARY_COVERED_YEARS",
    "LIBRARY_LAST_COVERED_YEAR",
    "DayInfo",
    "WorkdayCalendar",
    "WorkingDayResult",
]

DEFAULT_LANGUAGE = "zh_CN"
"""Language of holiday names. Always passed explicitly: left unset, ``holidays``
picks the language from the process locale (``LANG=C.UTF-8`` gives English)."""

WORKDAY = "workday"
WEEKEND = "weekend"
HOLIDAY = "holiday"
MAKEUP_WORKDAY = "makeup_workday"

_ONE_DAY = timedelta(days=1)

FIRST_YEAR, LAST_YEAR = 1950, 2200
"""Dates the server reasons about: a party organisation's records start after 1949, and a
count of working days from year 9999 (or year 0) runs off Python's calendar. Input outside
is refused where it enters (the API's date fields, talk periods), naming the field."""


def supported(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR

# Used only if a future ``holidays`` release stops exposing its official data
# (``special_public_holidays``): holidays 0.109 has official notices for 2001-2026.
_FALLBACK_COVERED_YEARS = frozenset(range(2001, 2027))


def _library_covered_years() -> frozenset[int]:
    """Years for which the ``holidays`` library holds the official notice.

    The China calendar keeps the State Council's moves of days in
    ``special_public_holidays``: ``{year: ((to_month, to_day, from_month, from_day), ...)}``
    (a 4- or 5-tuple is a substituted day: ``to`` is the day off, ``from`` the
    make-up workday). A year with such entries was entered from an official notice;
    a year without them is estimated by rule, with no make-up workdays at all.
    """
    specials = getattr(holidays.China(), "special_public_holidays", None)
    if not isinstance(specials, Mapping):
        return _FALLBACK_COVERED_YEARS
    years: set[int] = set()
    for year, entries in specials.items():
        items = entries if entries and isinstance(entries[0], tuple) else (entries,)
        if any(isinstance(item, tuple) and len(item) >= 4 for item in items):
            years.add(int(year))
    if not years:
        return _FALLBACK_COVERED_YEARS
    # Contiguous: a year between two official ones is official too.
    return frozenset(range(min(years), max(years) + 1))


LIBRARY_COVERED_YEARS: frozenset[int] = _library_covered_years()
"""Years whose holidays and make-up workdays come from an official notice (2001-2026
with holidays 0.109); any other year is estimated unless loaded as official."""

LIBRARY_LAST_COVERED_YEAR: int = max(LIBRARY_COVERED_YEARS)


@dataclass(frozen=True)
class _LibraryYear:
    holidays: Mapping[date, str]
    makeup_workdays: frozenset[date]


@cache
def _library_year(year: int, language: str) -> _LibraryYear:
    """The library's data for one year, built once per process (constructing
    ``holidays.China`` costs several milliseconds)."""
    cal = holidays.China(years=year, language=language)
    names = {d: str(name) for d, name in cal.items() if d.year == year}
    makeup: set[date] = set()
    day = date(year, 1, 1)
    while day.year == year:
        # Only the public API: a weekend day that is a working day is a make-up workday.
        if day.weekday() >= 5 and cal.is_working_day(day):
            makeup.add(day)
        day += _ONE_DAY
    return _LibraryYear(MappingProxyType(names), frozenset(makeup))


@dataclass(frozen=True)
class DayInfo:
    """One day of the calendar.

    ``kind`` is ``"workday"``, ``"weekend"``, ``"holiday"`` (a day off that is not an
    ordinary weekend day, or a named holiday falling on a weekend) or
    ``"makeup_workday"`` (a Saturday or Sunday that is a working day). ``name`` is the
    holiday's name, or the administrator's note for an overridden day.
    """

    date: date
    working: bool
    kind: str
    name: str | None
    overridden: bool


@dataclass(frozen=True)
class WorkingDayResult:
    date: date
    estimated: bool
    """True when a year touched by the count has no official calendar."""


class WorkdayCalendar:
    """Chinese working days from the ``holidays`` library plus administrator overrides.

    ``overrides`` maps a date to ``(is_working_day, note)`` and always wins.
    ``official_years`` are years for which the administrator has loaded the
    official calendar: they count as covered (not estimated).
    """

    def __init__(
        self,
        overrides: Mapping[date, tuple[bool, str]] | None = None,
        official_years: Iterable[int] | None = None,
        *,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        normalised: dict[date, tuple[bool, str]] = {}
        for day, (working, note) in (overrides or {}).items():
            key = day.date() if isinstance(day, datetime) else day
            normalised[key] = (bool(working), note or "")
        self._overrides = normalised
        self._official_years = frozenset(int(y) for y in official_years or ())
        self._language = language
        self._years: dict[int, _LibraryYear] = {}

    @property
    def overrides(self) -> Mapping[date, tuple[bool, str]]:
        return MappingProxyType(self._overrides)

    @property
    def official_years(self) -> frozenset[int]:
        return self._official_years

    def _library(self, year: int) -> _LibraryYear:
        data = self._years.get(year)
        if data is None:
            data = self._years[year] = _library_year(year, self._language)
        return data

    # -- coverage ----------------------------------------------------------------

    def covers(self, year: int) -> bool:
        """True if the year's calendar is official (library data or loaded by an
        administrator); False if working days in it are an estimate."""
        return year in LIBRARY_COVERED_YEARS or year in self._official_years

    def is_estimated(self, year: int) -> bool:
        return not self.covers(year)

    # -- single days ---------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        override = self._overrides.get(d)
        if override is not None:
            return override[0]
        lib = self._library(d.year)
        if d.weekday() >= 5:
            return d in lib.makeup_workdays
        return d not in lib.holidays

    def day_kind(self, d: date) -> DayInfo:
        lib = self._library(d.year)
        weekend = d.weekday() >= 5
        holiday_name = lib.holidays.get(d)
        override = self._overrides.get(d)
        if override is not None:
            working, note = override
            if working:
                kind = MAKEUP_WORKDAY if weekend else WORKDAY
            else:
                kind = WEEKEND if weekend and holiday_name is None and not note else HOLIDAY
            return DayInfo(d, working, kind, note or holiday_name, True)
        if weekend and d in lib.makeup_workdays:
            return DayInfo(d, True, MAKEUP_WORKDAY, None, False)
        if holiday_name is not None:
            return DayInfo(d, False, HOLIDAY, holiday_name, False)
        if weekend:
            return DayInfo(d, False, WEEKEND, None, False)
        return DayInfo(d, True, WORKDAY, None, False)

    # -- counting --------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> WorkingDayResult:
        """The ``n``-th working day after ``start`` (``n=1``: the next working day).

        ``n=0`` gives ``start`` itself if it is a working day, else the next one.
        """
        if isinstance(start, datetime):
            start = start.date()
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += _ONE_DAY
            first = start
        else:
            remaining = n
            while remaining:
                day += _ONE_DAY
                if self.is_working_day(day):
                    remaining -= 1
            first = start + _ONE_DAY
        estimated = any(not self.covers(y) for y in range(first.year, day.year + 1))
        return WorkingDayResult(day, estimated)

    def working_days_between(self, today: date, due: date, *, cap: int = 400) -> int:
        """Signed working days from ``today`` to ``due``: the working days after today up to and
        including ``due`` ("剩 2 个工作日"), or, past it, minus those after ``due`` up to and
        including today ("逾期 1 个工作日"); 0 for due today. At most ``cap`` days are walked."""
        sign, start, end = (1, today, due) if due >= today else (-1, due, today)
        count, day = 0, start
        for _ in range(min((end - start).days, cap)):
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return sign * count

    # -- a whole year ------------------------------------------------------------------

    def year(self, year: int) -> list[DayInfo]:
        """The year's special days, sorted: holidays (library names, including those
        falling on a weekend), make-up workdays and overridden days. Ordinary weekends
        and workdays are left out. Whether the list is an estimate: :meth:`covers`.
        """
        lib = self._library(year)
        days = set(lib.holidays) | set(lib.makeup_workdays)
        days.update(d for d in self._overrides if d.year == year)
        return [self.day_kind(d) for d in sorted(days)]
