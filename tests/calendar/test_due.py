"""Due-date expressions (server/due.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.calendar.due import (
    DueExpressionError,
    DueResult,
    parse_iso_duration,
    parse_working_days,
    resolve_due,
)
from server.calendar.workdays import WorkdayCalendar

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkdayCalendar()
# Wednesday 30 Sept 2026, 10:00 in Beijing: the last working day before National Day.
READY = datetime(2026, 9, 30, 10, 0, tzinfo=SH)


def due(expr: str, ready_at: datetime = READY, **kwargs) -> DueResult:
    return resolve_due(expr, ready_at=ready_at, calendar=kwargs.pop("calendar", CAL), **kwargs)


def eod(text: str) -> datetime:
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=SH).replace(
        hour=23, minute=59, second=59
    )


# -- working days -------------------------------------------------------------------------


@pytest.mark.parametrize("expr", ["3 working days", "3 个工作日", "3个工作日", " 3  Working Days "])
def test_three_working_days_across_national_day(expr):
    result = due(expr)
    assert result == DueResult(eod("2026-10-10"), False)  # Thu 8, Fri 9, make-up Sat 10
    assert result.due_at.tzinfo is not None
    assert result.due_at.utcoffset() == timedelta(hours=8)


def test_one_working_day():
    assert due("1 working day") == DueResult(eod("2026-10-08"), False)
    assert due("1 个工作日").due_at == eod("2026-10-08")


def test_working_days_count_from_the_beijing_date():
    # 16:30 UTC on 29 Sept is already 00:30 on 30 Sept in Beijing.
    ready = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)
    assert due("3 working days", ready).due_at == eod("2026-10-10")
    # 15:30 UTC is still 29 Sept in Beijing: Wed 30, Thu 8, Fri 9.
    ready = datetime(2026, 9, 29, 15, 30, tzinfo=UTC)
    assert due("3 working days", ready).due_at == eod("2026-10-09")


def test_working_days_before_spring_festival():
    ready = datetime(2026, 2, 13, 17, 0, tzinfo=SH)  # Friday; Saturday 14 is worked
    assert due("3个工作日", ready).due_at == eod("2026-02-25")


def test_working_days_into_an_unofficial_year_are_estimated():
    ready = datetime(2026, 12, 31, 9, 0, tzinfo=SH)
    assert due("1 working day", ready) == DueResult(eod("2027-01-04"), True)
    official = WorkdayCalendar(official_years={2027})
    assert due("1 working day", ready, calendar=official) == DueResult(eod("2027-01-04"), False)


def test_working_days_follow_overrides():
    cal = WorkdayCalendar(overrides={date(2026, 10, 9): (False, "临时放假")})
    assert due("3 working days", calendar=cal).due_at == eod("2026-10-12")


def test_zero_working_days():
    assert due("0 working days").due_at == eod("2026-09-30")


def test_parse_working_days():
    assert parse_working_days("3 working days") == 3
    assert parse_working_days("1 working day") == 1
    assert parse_working_days("3 个工作日") == 3
    assert parse_working_days("3个工作日") == 3
    assert parse_working_days("10 working days") == 10
    assert parse_working_days("P3D") is None
    assert parse_working_days("3 days") is None
    assert parse_working_days("-3 working days") is None
    assert parse_working_days("three working days") is None


# -- ISO durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("P3D", datetime(2026, 10, 3, 10, 0, tzinfo=SH)),
        ("PT4H", datetime(2026, 9, 30, 14, 0, tzinfo=SH)),
        ("P1W", datetime(2026, 10, 7, 10, 0, tzinfo=SH)),
        ("P1DT2H", datetime(2026, 10, 1, 12, 0, tzinfo=SH)),
        ("PT90M", datetime(2026, 9, 30, 11, 30, tzinfo=SH)),
        ("PT30S", datetime(2026, 9, 30, 10, 0, 30, tzinfo=SH)),
        ("P1M", datetime(2026, 10, 30, 10, 0, tzinfo=SH)),
        ("P1Y2M3DT4H5M6S", datetime(2027, 12, 3, 14, 5, 6, tzinfo=SH)),
    ],
)
def test_iso_durations(expr, expected):
    result = due(expr)
    assert result == DueResult(expected, False)
    assert result.due_at.tzinfo == SH


def test_duration_from_a_utc_ready_time():
    ready = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    assert due("PT4H", ready).due_at == datetime(2026, 9, 30, 14, 0, tzinfo=SH)
    assert due("PT4H", ready).due_at == ready + timedelta(hours=4)


def test_month_duration_clips_to_month_end():
    ready = datetime(2026, 1, 31, 9, 0, tzinfo=SH)
    assert due("P1M", ready).due_at == datetime(2026, 2, 28, 9, 0, tzinfo=SH)


def test_parse_iso_duration():
    assert parse_iso_duration("P3D") is not None
    assert parse_iso_duration("3 working days") is None
    for bad in ("P", "PT", "P1DT", "P1W2D", "P1.5D", "-P3D", "P3", "PT4"):
        assert parse_iso_duration(bad) is None, bad


# -- fixed dates --------------------------------------------------------------------------------


def test_date_is_due_at_end_of_day_in_beijing():
    assert due("2026-12-01") == DueResult(eod("2026-12-01"), False)


def test_datetime_with_offset_is_that_instant():
    result = due("2026-12-01T18:00:00+08:00")
    assert result == DueResult(datetime(2026, 12, 1, 18, 0, tzinfo=SH), False)
    utc = due("2026-12-01T10:00:00Z").due_at
    assert utc == datetime(2026, 12, 1, 18, 0, tzinfo=SH)
    assert utc.tzinfo == SH
    other = due("2026-12-01T18:00:00-05:00").due_at
    assert other == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


def test_naive_datetime_is_beijing_time():
    assert due("2026-12-01T18:00:00").due_at == datetime(2026, 12, 1, 18, 0, tzinfo=SH)
    assert due("2026-12-01 18:00").due_at == datetime(2026, 12, 1, 18, 0, tzinfo=SH)


# -- references to task data -----------------------------------------------------------------

DATA = {
    "pledge_deadline": "2026-10-20",
    "reply_within": "3 个工作日",
    "plan": {"deadline": "2026-11-01T12:00:00+08:00", "window": "P2D"},
    "when": date(2026, 10, 15),
    "at": datetime(2026, 10, 15, 9, 0),
}


def test_variable_reference():
    assert due("=pledge_deadline", data=DATA) == DueResult(eod("2026-10-20"), False)
    assert due("= reply_within", data=DATA).due_at == eod("2026-10-10")


def test_dotted_reference():
    assert due("=plan.deadline", data=DATA).due_at == datetime(2026, 11, 1, 12, 0, tzinfo=SH)
    assert due("=plan.window", data=DATA).due_at == datetime(2026, 10, 2, 10, 0, tzinfo=SH)


def test_reference_to_date_objects():
    assert due("=when", data=DATA).due_at == eod("2026-10-15")
    assert due("=at", data=DATA).due_at == datetime(2026, 10, 15, 9, 0, tzinfo=SH)


def test_estimated_through_a_reference():
    ready = datetime(2027, 3, 1, 9, 0, tzinfo=SH)
    assert due("=reply_within", ready, data=DATA).estimated


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("3 weeks days", 'due "3 weeks days": not a working-day count, ISO duration or date'),
        ("soon", 'due "soon": not a working-day count, ISO duration or date'),
        ("", 'due "": empty'),
        ("   ", "empty"),
        ("-3 working days", "not a working-day count (a whole number >= 0"),
        ("2.5 working days", "not a working-day count (a whole number >= 0"),
        ("P", 'due "P": not a valid ISO 8601 duration'),
        ("PT", "not a valid ISO 8601 duration"),
        ("P1DT", "not a valid ISO 8601 duration"),
        ("P1.5D", "not a valid ISO 8601 duration"),
        ("P3X", "not a valid ISO 8601 duration"),
        ("2026-13-01", 'due "2026-13-01": not a valid date or date-time'),
        ("2026-02-30", "not a valid date or date-time"),
        ("2026-12-01T25:00", "not a valid date or date-time"),
    ],
)
def test_bad_expressions(expr, message):
    with pytest.raises(DueExpressionError) as info:
        due(expr)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("expr", "data", "message"),
    [
        ("=missing", DATA, 'due "=missing": task data has no variable "missing"'),
        ("=plan.nothing", DATA, 'task data has no variable "plan.nothing"'),
        ("=pledge_deadline.x", DATA, 'task data has no variable "pledge_deadline.x"'),
        ("=pledge_deadline", None, "no task data"),
        ("=", DATA, "must name a task-data variable"),
        ("=a + b", DATA, "must name a task-data variable"),
        ("=plan['deadline']", DATA, "must name a task-data variable"),
        ("=__import__('os')", DATA, "must name a task-data variable"),
        ("=x", {"x": "later"}, 'due "=x": x holds "later", which is not a working-day count'),
        ("=x", {"x": 3}, "x holds 3 (int), not a due expression"),
        ("=x", {"x": None}, "x holds nothing"),
        ("=x", {"x": " "}, "x is empty"),
        ("=x", {"x": "=y", "y": "P1D"}, 'x holds another reference "=y"'),
        ("=x", {"x": "P1"}, 'x holds "P1", which is not a valid ISO 8601 duration'),
    ],
)
def test_bad_references(expr, data, message):
    with pytest.raises(DueExpressionError) as info:
        due(expr, data=data)
    assert message in str(info.value)


def test_naive_ready_at_is_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware") as info:
        due("P1D", datetime(2026, 9, 30, 10, 0))
    assert not isinstance(info.value, DueExpressionError)
