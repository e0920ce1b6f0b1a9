"""The working-day calendar: counting, a year's special days, overrides."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from server.api.contract import Body, Query, QueryDate, int_range, problem
from server.api.schemas.common import IsoDate, Out


def _required(raw: Any) -> Any:
    if raw is None:
        raise problem("'working_days' is required", "required")
    return raw


class AddQuery(Query):
    start: QueryDate = Field(None, validate_default=True, description="first day (not counted)")
    working_days: Annotated[int, int_range(0, 3660), BeforeValidator(_required), Field(ge=0, le=3660)] = Field(
        None, validate_default=True, description="how many working days")


class WorkingDayCount(Out):
    start: IsoDate
    working_days: int
    date: IsoDate
    estimated: bool = Field(description="a year of the count has no official calendar")


class YearQuery(Query):
    year: Annotated[int | None, int_range(1950, 2200), Field(ge=1950, le=2200)] = Field(
        None, description="the year (default: this year)")


class CalendarDay(Out):
    date: IsoDate
    working: bool
    kind: Literal["workday", "weekend", "holiday", "makeup_workday"]
    name: str | None
    overridden: bool


class CalendarYear(Out):
    year: int
    estimated: bool
    library_covered: bool
    official_override: bool
    days: list[CalendarDay]


class Override(Body):
    working: bool
    note: str | None = Field("", max_length=200)
    official: bool = Field(False, description="the year's official calendar is loaded")
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "cannot set the day: {fields}"
    field_messages = {"working": "required: true or false", "note": "text of at most 200 characters",
                      "official": "true or false"}


class OverriddenDay(CalendarDay):
    note: str
    official: bool
