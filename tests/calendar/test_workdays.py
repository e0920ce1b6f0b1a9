"""The Chinese working-day calendar (server/workdays.py), against holidays==0.109.

The 2026 dates are those of the State Council notice (国办发明电〔2025〕7号) as the
library holds them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from unittest import mock

import holidays
import pytest

from server.calendar import workdays
from server.calendar.workdays import (
    LIBRARY_COVERED_YEARS,
    LIBRARY_LAST_COVERED_YEAR,
    DayInfo,
    WorkdayCalendar,
    WorkingDayResult,
)

CAL = WorkdayCalendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(start: str, end: str) -> list[date]:
    first, last = d(start), d(end)
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def non_working(start: str, end: str) -> list[date]:
    return [day for day in days(start, end) if not CAL.is_working_day(day)]


# -- coverage ------------------------------------------------------------------------


def test_library_covers_2001_to_2026():
    assert LIBRARY_LAST_COVERED_YEAR == 2026
    assert set(range(2001, 2027)) <= LIBRARY_COVERED_YEARS
    assert 2027 not in LIBRARY_COVERED_YEARS
    assert 2000 not in LIBRARY_COVERED_YEARS


def test_covers_and_official_years():
    assert CAL.covers(2026) and not CAL.is_estimated(2026)
    assert not CAL.covers(2027) and CAL.is_estimated(2027)
    assert not CAL.covers(2030)
    loaded = WorkdayCalendar(official_years={2027})
    assert loaded.covers(2027)
    assert not loaded.covers(2028)
    assert loaded.official_years == frozenset({2027})


def test_2027_has_no_makeup_workdays_in_the_library():
    # The library estimates 2027 by rule: holidays, but not a single make-up workday.
    assert not [day for day in CAL.year(2027) if day.kind == "makeup_workday"]
    assert [day for day in CAL.year(2026) if day.kind == "makeup_workday"]


# -- National Day 2026 -------------------------------------------------------------------


def test_national_day_2026_days_off():
    # Mid-Autumn Fri 25 Sept (with the weekend), then 1-7 October.
    assert non_working("2026-09-19", "2026-10-11") == [
        d("2026-09-19"),  # Saturday
        d("2026-09-25"),  # 中秋节 (Friday)
        d("2026-09-26"),
        d("2026-09-27"),
        *days("2026-10-01", "2026-10-07"),
        # 2026-10-10 (Saturday) is a make-up workday; Sunday 11 is not
        d("2026-10-11"),
    ]


def test_national_day_2026_makeup_workdays():
    sunday, saturday = d("2026-09-20"), d("2026-10-10")
    assert sunday.weekday() == 6 and saturday.weekday() == 5
    assert CAL.is_working_day(sunday)
    assert CAL.is_working_day(saturday)
    assert CAL.day_kind(sunday) == DayInfo(sunday, True, "makeup_workday", None, False)
    assert CAL.day_kind(saturday).kind == "makeup_workday"


def test_national_day_2026_kinds_and_names():
    assert CAL.day_kind(d("2026-10-01")) == DayInfo(
        d("2026-10-01"), False, "holiday", "国庆节", False
    )
    # a holiday falling on a Saturday keeps its name
    assert CAL.day_kind(d("2026-10-03")).kind == "holiday"
    assert CAL.day_kind(d("2026-10-03")).name == "国庆节"
    # an ordinary Sunday inside the holiday is just a weekend day
    assert CAL.day_kind(d("2026-10-04")) == DayInfo(d("2026-10-04"), False, "weekend", None, False)
    # the weekdays moved off by the notice
    assert CAL.day_kind(d("2026-10-06")).name == "休息日（由 2026-09-20 调休）"
    assert CAL.day_kind(d("2026-10-07")).name == "休息日（由 2026-10-10 调休）"
    assert CAL.day_kind(d("2026-09-30")) == DayInfo(d("2026-09-30"), True, "workday", None, False)


def test_names_do_not_depend_on_the_process_locale():
    # holidays picks the language from LANG when none is given; the calendar does not.
    with mock.patch.dict("os.environ", {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}):
        workdays._library_year.cache_clear()
        assert WorkdayCalendar().day_kind(d("2026-10-01")).name == "国庆节"
    english = WorkdayCalendar(language="en_US")
    assert english.day_kind(d("2026-10-01")).name == "National Day"


# -- Spring Festival 2026 --------------------------------------------------------------


def test_spring_festival_2026():
    # 15-23 February off (Sunday 15 to Monday 23); Saturdays 14 and 28 are worked.
    assert non_working("2026-02-13", "2026-03-01") == [
        *days("2026-02-15", "2026-02-23"),
        d("2026-03-01"),
    ]
    assert CAL.day_kind(d("2026-02-14")).kind == "makeup_workday"
    assert CAL.day_kind(d("2026-02-28")).kind == "makeup_workday"
    assert CAL.day_kind(d("2026-02-16")).name == "农历除夕"
    assert CAL.day_kind(d("2026-02-17")).name == "春节"
    assert CAL.day_kind(d("2026-02-20")).kind == "holiday"
    assert CAL.day_kind(d("2026-02-23")).kind == "holiday"


def test_new_year_2026_makeup_sunday():
    assert not CAL.is_working_day(d("2026-01-01"))
    assert not CAL.is_working_day(d("2026-01-02"))
    assert CAL.is_working_day(d("2026-01-04"))  # Sunday


# -- counting -----------------------------------------------------------------------------


def test_talk_request_before_national_day_answered_within_3_working_days():
    # Requested on Wednesday 30 Sept, the last working day before the holiday:
    # Thu 8, Fri 9, and the make-up Saturday 10 October.
    assert CAL.add_working_days(d("2026-09-30"), 1) == WorkingDayResult(d("2026-10-08"), False)
    assert CAL.add_working_days(d("2026-09-30"), 3) == WorkingDayResult(d("2026-10-10"), False)
    assert CAL.add_working_days(d("2026-09-30"), 4) == WorkingDayResult(d("2026-10-12"), False)


def test_talk_request_before_spring_festival():
    # Saturday 14 Feb is the last working day before the holiday.
    assert CAL.add_working_days(d("2026-02-13"), 3).date == d("2026-02-25")
    assert CAL.add_working_days(d("2026-02-14"), 1).date == d("2026-02-24")
    assert CAL.add_working_days(d("2026-02-14"), 3).date == d("2026-02-26")


def test_counting_starts_the_day_after():
    # Friday 18 Sept: next working day is the make-up Sunday 20 Sept.
    assert CAL.add_working_days(d("2026-09-18"), 1).date == d("2026-09-20")
    assert CAL.add_working_days(d("2026-11-02"), 1).date == d("2026-11-03")
    assert CAL.add_working_days(d("2026-11-06"), 1).date == d("2026-11-09")  # Friday → Monday


def test_zero_working_days():
    assert CAL.add_working_days(d("2026-09-30"), 0).date == d("2026-09-30")
    assert CAL.add_working_days(d("2026-10-01"), 0).date == d("2026-10-08")
    assert CAL.add_working_days(d("2026-10-10"), 0).date == d("2026-10-10")  # make-up Saturday


def test_negative_count_is_refused():
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(d("2026-09-30"), -1)


def test_datetime_start_is_taken_as_its_date():
    assert CAL.add_working_days(datetime(2026, 9, 30, 23, 0), 3).date == d("2026-10-10")


def test_estimated_flag():
    assert not CAL.add_working_days(d("2026-12-29"), 2).estimated  # 31 Dec 2026
    crossing = CAL.add_working_days(d("2026-12-31"), 1)
    assert crossing.estimated
    assert crossing.date == d("2027-01-04")  # 1 Jan 2027 is a Friday, then the weekend
    assert CAL.add_working_days(d("2027-03-01"), 3).estimated
    assert CAL.add_working_days(d("2031-06-02"), 0).estimated
    official = WorkdayCalendar(official_years={2027})
    assert not official.add_working_days(d("2026-12-31"), 1).estimated
    assert not official.add_working_days(d("2027-03-01"), 3).estimated
    assert official.add_working_days(d("2027-12-30"), 5).estimated  # runs into 2028


# -- overrides ----------------------------------------------------------------------------


def test_override_makes_a_holiday_a_working_day():
    cal = WorkdayCalendar(overrides={d("2026-10-07"): (True, "单位值班")})
    assert cal.is_working_day(d("2026-10-07"))
    assert cal.day_kind(d("2026-10-07")) == DayInfo(
        d("2026-10-07"), True, "workday", "单位值班", True
    )
    assert cal.add_working_days(d("2026-09-30"), 1).date == d("2026-10-07")
    assert cal.add_working_days(d("2026-09-30"), 3).date == d("2026-10-09")
    assert CAL.add_working_days(d("2026-09-30"), 1).date == d("2026-10-08")  # others unaffected


def test_override_makes_a_working_day_a_day_off():
    cal = WorkdayCalendar(
        overrides={
            d("2026-10-08"): (False, "临时调整"),
            d("2026-10-10"): (False, ""),  # the make-up Saturday cancelled
        }
    )
    assert not cal.is_working_day(d("2026-10-08"))
    assert cal.day_kind(d("2026-10-08")) == DayInfo(
        d("2026-10-08"), False, "holiday", "临时调整", True
    )
    assert cal.day_kind(d("2026-10-10")) == DayInfo(d("2026-10-10"), False, "weekend", None, True)
    assert cal.add_working_days(d("2026-09-30"), 3).date == d("2026-10-13")


def test_override_makes_a_weekend_day_a_makeup_workday():
    cal = WorkdayCalendar(overrides={d("2027-02-20"): (True, "春节调休")})
    info = cal.day_kind(d("2027-02-20"))
    assert info == DayInfo(d("2027-02-20"), True, "makeup_workday", "春节调休", True)
    assert cal.add_working_days(d("2027-02-19"), 1).date == d("2027-02-20")


def test_override_without_note_keeps_the_library_name():
    cal = WorkdayCalendar(overrides={d("2026-10-01"): (False, "")})
    assert cal.day_kind(d("2026-10-01")) == DayInfo(
        d("2026-10-01"), False, "holiday", "国庆节", True
    )


def test_overrides_are_read_only_and_accept_datetime_keys():
    cal = WorkdayCalendar(overrides={datetime(2026, 10, 8, 0, 0): (False, "x")})
    assert not cal.is_working_day(d("2026-10-08"))
    with pytest.raises(TypeError):
        cal.overrides[d("2026-10-09")] = (False, "y")  # type: ignore[index]


# -- a whole year ---------------------------------------------------------------------------


def test_year_lists_special_days_only():
    listing = CAL.year(2026)
    assert listing == sorted(listing, key=lambda info: info.date)
    by_date = {info.date: info for info in listing}
    assert [info.date for info in listing if info.kind == "makeup_workday"] == [
        d("2026-01-04"),
        d("2026-02-14"),
        d("2026-02-28"),
        d("2026-05-09"),
        d("2026-09-20"),
        d("2026-10-10"),
    ]
    assert d("2026-10-04") not in by_date  # an ordinary Sunday
    assert d("2026-10-03") in by_date  # National Day on a Saturday
    assert all(not info.working for info in listing if info.kind == "holiday")
    assert {
        info.date for info in listing if info.kind == "holiday" and info.date.weekday() < 5
    } >= set(days("2026-10-05", "2026-10-07"))


def test_year_includes_overrides():
    cal = WorkdayCalendar(
        overrides={d("2027-02-20"): (True, "春节调休"), d("2026-03-02"): (False, "")},
        official_years={2027},
    )
    listing = cal.year(2027)
    assert DayInfo(d("2027-02-20"), True, "makeup_workday", "春节调休", True) in listing
    assert all(info.date.year == 2027 for info in listing)
    assert cal.covers(2027)
    assert DayInfo(d("2026-03-02"), False, "holiday", None, True) in cal.year(2026)


# -- speed ---------------------------------------------------------------------------------


def test_library_calendar_is_built_once_per_year():
    workdays._library_year.cache_clear()
    with mock.patch.object(workdays.holidays, "China", wraps=holidays.China) as china:
        for _ in range(200):
            WorkdayCalendar().add_working_days(d("2026-09-30"), 3)
        assert china.call_count == 1
        WorkdayCalendar().add_working_days(d("2026-12-30"), 3)  # into 2027
        assert china.call_count == 2
