"""The organisation kept in the product (issue 15, docs/org.md): units, people, positions,
appointments, transfers, deactivation, the roster workbook."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from server.api.contract import ID_OR_CODE, Body, Query, QueryBool, QueryDate, UnitRef, problem
from server.api.schemas.common import Out, UnitType
from server.calendar.workdays import FIRST_YEAR, LAST_YEAR, supported


def _body_date(raw: Any, info: ValidationInfo) -> date | None:
    if raw is None:
        return None
    name = (info.field_name or "").rstrip("_")
    if isinstance(raw, str) and len(raw) == 10:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            day = None
        if day is not None:
            if not supported(day):
                raise problem(f"'{name}' must be a date between {FIRST_YEAR} and {LAST_YEAR}", "out of range")
            return day
    raise problem(f"'{name}' must be a date YYYY-MM-DD", "not a date")


BodyDate = Annotated[date | None, BeforeValidator(_body_date),
                     WithJsonSchema({"type": ["string", "null"], "format": "date"})]
REASON = Field(None, description="why: it goes into the audit trail", max_length=500)
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}


class OrgBody(Body):
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "invalid request: {fields}"


# -- units ------------------------------------------------------------------------------------------


class OrgUnitQuery(Query):
    include_dissolved: QueryBool = Field(None, description="also list dissolved units")


class NewOrgUnit(OrgBody):
    code: str = Field(min_length=1, max_length=64, description="stable code, unique (letters, digits, . _ -)")
    name: str = Field(min_length=1, max_length=200)
    type: UnitType
    parent: UnitRef = Field(description="the parent unit's id or code")
    field_messages = {"code": "required", "name": "required", "type": "unknown type", "parent": "required"}


class OrgUnitChange(OrgBody):
    name: str | None = Field(None, min_length=1, max_length=200, description="new name")
    code: str | None = Field(None, min_length=1, max_length=64, description="new code")
    parent: Annotated[int | str | None, WithJsonSchema({**ID_OR_CODE, "description": "new parent: moves the "
                                                        "unit with its whole subtree"})] = None
    reason: str | None = REASON


class OrgUnitRecord(Out):
    id: int
    code: str
    name: str
    type: UnitType
    parent_id: int | None
    path: str
    depth: int
    people: int = Field(description="people holding a position in the unit now")
    dissolved: bool
    merged_into_id: int | None = None


class OrgUnitList(Out):
    items: list[OrgUnitRecord]


class Dissolution(OrgBody):
    reason: str | None = REASON
    dry_run: bool = Field(False, description="only report what is alive in the unit and what would happen")


class Merger(Dissolution):
    into: UnitRef = Field(description="the unit (of the same type) that takes over")
    field_messages = {"into": "required"}


class ImpactReport(Out):
    unit: dict[str, Any]
    running_instances: list[dict[str, Any]]
    open_tasks: int
    units_below: list[dict[str, Any]]
    positions: list[dict[str, Any]]
    blocked_by: list[str]
    what_happens: list[str]
    dry_run: bool
    done: bool


# -- people and positions ---------------------------------------------------------------------------


class NewPerson(OrgBody):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=200)
    org_unit: UnitRef = Field(description="the unit where the person holds ``role``")
    role: str = Field("member", min_length=1, max_length=32)
    start: BodyDate = None
    field_messages = {"username": "required", "display_name": "required", "org_unit": "required"}


class PersonChange(OrgBody):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=200)


class PositionRecord(Out):
    id: int
    person: str
    person_name: str
    org_unit: dict[str, Any]
    role: str
    start: str | None
    end: str | None
    active: bool


class PersonRecord(Out):
    username: str
    display_name: str
    email: str | None
    active: bool
    positions: list[PositionRecord]


class NewPosition(OrgBody):
    person: str = Field(min_length=1, max_length=64, description="username")
    org_unit: UnitRef
    role: str = Field(min_length=1, max_length=32)
    start: BodyDate = None
    end: BodyDate = None
    reason: str | None = REASON
    field_messages = {"person": "required", "org_unit": "required", "role": "required"}


class PositionEnd(OrgBody):
    end: BodyDate = Field(description="the last day the position is held")
    reason: str | None = REASON
    field_messages = {"end": "required"}


class Appointment(OrgBody):
    person: str = Field(min_length=1, max_length=64, description="username of the new holder")
    role: str = Field("secretary", min_length=1, max_length=32)
    start: BodyDate = Field(None, description="first day (default today); the current holders end the day before")
    reason: str | None = REASON
    field_messages = {"person": "required"}


class Appointed(Out):
    position: PositionRecord
    ended: list[PositionRecord]
    returned_tasks: list[int] = Field(description="claimed tasks that went back to the role's pool")


class HoldersQuery(Query):
    role: str = Field("secretary", max_length=32)
    on: QueryDate = Field(None, validate_default=True, description="the day (YYYY-MM-DD)")


class Holders(Out):
    org_unit: dict[str, Any]
    role: str
    on: str
    items: list[PositionRecord]


# -- transfer and deactivation ----------------------------------------------------------------------


class Transfer(OrgBody):
    to_unit: UnitRef = Field(description="the branch or party group he joins")
    reason: str | None = REASON
    field_messages = {"to_unit": "required"}


class Deactivation(OrgBody):
    reason: str | None = REASON


class LetGo(Out):
    person: str
    withdrawn: list[dict[str, Any]] = Field(description="multi-instance parts he was taken out of")
    suspended: list[dict[str, Any]] = Field(description="suspended instances still holding him (resume them)")
    reassigned: list[dict[str, Any]] = Field(description="tasks bound to him handed to the unit's secretary")
    left_open: list[int] = Field(description="tasks bound to him with nobody to take them: an overseer decides")
    returned_tasks: list[int]
    positions_ended: list[dict[str, Any]]


# -- the roster -------------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_UPLOAD = {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary"},
    "dry_run": {"type": "string", "enum": ["true", "false"], "default": "true"}}}}}


class RosterError(Out):
    row: int
    column: str
    message: str


class RosterReport(Out):
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RosterError]
    errors_total: int
    dry_run: bool
    imported: bool
