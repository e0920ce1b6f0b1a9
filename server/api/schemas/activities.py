"""Activity ledgers and attachments: programmes, records, quota, ledger, themed campaigns."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field

from server.activities.periods import PATTERN as PERIOD_PATTERN
from server.api.contract import Body, Limit, Offset, Query, QueryBool, UnitRef, service_checked
from server.api.schemas.common import Out

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
PERIOD = Field(None, description="a year 2026, a quarter 2026-Q4 or a month 2026-12",
               json_schema_extra={"pattern": PERIOD_PATTERN})
UNIT = Field(None, description="org unit id or code")
IDS = {"type": "array", "items": {"type": "string"}, "maxItems": 12, "description": "ids from POST /api/attachments"}

UPLOAD = {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary",
             "description": "an image (JPEG, PNG, GIF, WebP), a PDF or an Office document (OOXML, ODF)"}}}}}


class Attachment(Out):
    id: str
    content_type: str
    size: int
    kind: str
    name: str
    has_thumbnail: bool


class UnitPeriodQuery(Query):
    org_unit: str | None = UNIT
    period: str | None = PERIOD
    model_config = ConfigDict(json_schema_extra={"required": ["org_unit", "period"]})


class QuotaQuery(UnitPeriodQuery):
    missing: QueryBool = Field(None, description="only members who still owe something")
    limit: Limit = 500
    offset: Offset = 0


class RecordQuery(Query):
    org_unit: str | None = Field(None, description="a unit's subtree (else: my own records)")
    period: str | None = PERIOD
    state: str | None = Field(None, json_schema_extra={"enum": ["submitted", "confirmed", "returned"]})
    member: str | None = Field(None, description="username")
    limit: Limit = 50
    offset: Offset = 0


class UnitQuery(Query):
    org_unit: str | None = UNIT
    model_config = ConfigDict(json_schema_extra={"required": ["org_unit"]})


class ProgrammeIn(Body):
    """Checked by ``server.activities.programmes`` (422 naming the field)."""

    org_unit: Annotated[Any, service_checked({"anyOf": [INTEGER, STRING]})] = None
    code: Annotated[Any, service_checked(STRING)] = None
    name: Annotated[Any, service_checked(STRING)] = None
    kind: Annotated[Any, service_checked(STRING)] = None
    cadence: Annotated[Any, service_checked({"enum": ["month", "quarter", "year"]})] = None
    quota: Annotated[Any, service_checked({"type": "integer", "minimum": 0, "maximum": 100})] = None
    season_months: Annotated[Any, service_checked(
        {"type": ["array", "null"], "items": {"type": "integer", "minimum": 1, "maximum": 12}})] = None
    unit_quotas: Annotated[Any, service_checked({"type": ["object", "null"]})] = None
    head_quota: Annotated[Any, service_checked({"type": ["integer", "null"]})] = None
    description: Annotated[Any, service_checked(STRING)] = None
    active: Annotated[Any, service_checked({"type": "boolean"})] = None
    invalid_status: ClassVar[int] = 422


class RecordIn(Body):
    """What a member did; ``member`` (a username) when the secretary records on his behalf."""

    model_config = ConfigDict(json_schema_extra={"required": ["activity", "activity_date", "hours"]})
    member: Annotated[Any, service_checked(STRING)] = None
    org_unit: Annotated[Any, service_checked({"anyOf": [INTEGER, STRING]})] = None
    programme: Annotated[Any, service_checked(INTEGER)] = None
    activity: Annotated[Any, service_checked(STRING)] = None
    activity_date: Annotated[Any, service_checked({"type": "string", "format": "date"})] = None
    place: Annotated[Any, service_checked(STRING)] = None
    beneficiary: Annotated[Any, service_checked(STRING)] = None
    hours: Annotated[Any, service_checked({"type": "number"})] = None
    attachments: Annotated[Any, service_checked(IDS)] = None
    invalid_status: ClassVar[int] = 422


class RecordEdit(Body):
    activity: Annotated[Any, service_checked(STRING)] = None
    activity_date: Annotated[Any, service_checked({"type": "string", "format": "date"})] = None
    place: Annotated[Any, service_checked(STRING)] = None
    beneficiary: Annotated[Any, service_checked(STRING)] = None
    hours: Annotated[Any, service_checked({"type": "number"})] = None
    attachments: Annotated[Any, service_checked(IDS)] = None
    invalid_status: ClassVar[int] = 422


class Review(Body):
    decision: Annotated[Any, service_checked({"enum": ["approve", "return"]})] = None
    reason: Annotated[Any, service_checked(STRING)] = None
    model_config = ConfigDict(json_schema_extra={"required": ["decision"]})
    invalid_status: ClassVar[int] = 422


class ThemedIn(Body):
    org_unit: Annotated[Any, service_checked({"anyOf": [INTEGER, STRING]})] = None
    name: Annotated[Any, service_checked(STRING)] = None
    starts_on: Annotated[Any, service_checked({"type": "string", "format": "date"})] = None
    ends_on: Annotated[Any, service_checked({"type": "string", "format": "date"})] = None
    lines: Annotated[Any, service_checked({"type": "array", "items": {"type": "object"}})] = None
    reporting: Annotated[Any, service_checked({"type": "array", "items": {"type": "object"}})] = None
    invalid_status: ClassVar[int] = 422


class ThemedReportIn(Body):
    org_unit: Annotated[Any, service_checked({"anyOf": [INTEGER, STRING]})] = None
    seq: Annotated[Any, service_checked(INTEGER)] = None
    text: Annotated[Any, service_checked(STRING)] = None
    lines: Annotated[Any, service_checked({"type": "array", "items": STRING})] = None
    attachments: Annotated[Any, service_checked(IDS)] = None
    invalid_status: ClassVar[int] = 422


class ThemedReview(Body):
    decision: Annotated[Any, service_checked({"enum": ["acknowledge", "return"]})] = None
    note: Annotated[Any, service_checked(STRING)] = None
    invalid_status: ClassVar[int] = 422


__all__ = ["UnitRef"]
