"""The talk loop: requests, secretary-led talks, problem items, coverage, ledger, reports."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from server.api.contract import Body, Limit, Offset, Query, QueryBool, UnitRef, one_of, service_checked
from server.api.schemas.common import OrgUnit, Out

STRING = {"type": "string"}
PERIOD_PATTERN = "^(19[5-9][0-9]|2[01][0-9]{2}|2200)H[12]$"
"""A half year between 1950 and 2200 (server.calendar.workdays.FIRST_YEAR..LAST_YEAR)."""
PERIOD = Field(None, description="half year, e.g. 2026H1", json_schema_extra={"pattern": PERIOD_PATTERN})
UNIT = Field(None, description="org unit id or code")
ANY_UNIT = service_checked({"anyOf": [{"type": "integer"}, {"type": "string"}], "description": "id or code"})


class TalkQuery(Query):
    org_unit: str | None = UNIT
    kind: str | None = Field(None, json_schema_extra={"enum": ["request", "must", "periodic", "topical"]})
    state: str | None = None
    limit: Limit = 50
    offset: Offset = 0


class UnitQuery(Query):
    """The unit is required: its check (400) comes after the others, as it names the unit to read."""

    org_unit: str | None = UNIT
    model_config = ConfigDict(json_schema_extra={"required": ["org_unit"]})


class ProblemQuery(UnitQuery):
    state: Annotated[Literal["open", "closed"] | None,
                     one_of(("open", "closed", None), "state must be open or closed", "unknown state"),
                     BeforeValidator(lambda raw: raw or None)] = None
    overdue: QueryBool = Field(None, description="only overdue (true) or not (false)")


class PeriodQuery(UnitQuery):
    period: str | None = PERIOD


class OverviewQuery(Query):
    period: str | None = PERIOD


class ReportQuery(Query):
    org_unit: str | None = UNIT
    period: str | None = PERIOD


class TalkProblem(Out):
    id: int
    seq: int
    description: str
    owner: dict[str, Any] | None
    measure: str | None
    deadline: str | None
    state: Literal["open", "closed"]
    overdue: bool
    follow_ups: list[dict[str, Any]]
    close_note: str | None


class TalkRecord(Out):
    main_content: str | None
    measures: str | None
    confidential: str | None = Field(description="null unless the caller may read it")
    confidential_visible: bool


class Talk(Out):
    id: int
    instance_id: int | None
    kind: Literal["request", "must", "periodic", "topical"]
    trigger: str | None
    org_unit: OrgUnit
    subject: dict[str, Any] | None
    talker: dict[str, Any] | None
    answer_due_at: str | None
    answered_late: bool | None
    breach: dict[str, Any] | None
    record: TalkRecord | None
    problems: list[TalkProblem]
    state: str
    open_tasks: list[dict[str, Any]]
    actions: dict[str, bool] = Field(description="what the reader may do: follow_up, close_problems, close_out")


class TalkList(Out):
    items: list[dict[str, Any]]
    total: int


class TalkReport(Out):
    id: int
    org_unit: OrgUnit
    period: str
    state: Literal["draft", "submitted", "acknowledged"]
    figures: dict[str, Any]
    figures_live: bool
    open_tasks: list[dict[str, Any]]


class Vocabulary(Out):
    kinds: dict[str, str]
    triggers: Any
    ways: dict[str, str]
    requested_with: dict[str, str]
    states: dict[str, str]
    close_criteria: Any
    follow_up_results: Any


class TalkRequest(Body):
    """Checked by ``server.talks`` (422 naming the field)."""

    model_config = ConfigDict(json_schema_extra={"required": ["requested_with", "topic", "preferred_times"]})
    org_unit: Annotated[Any, ANY_UNIT] = None
    requested_with: Annotated[Any, service_checked({"enum": ["secretary", "committee_member", "member"]})] = None
    requested_person: Annotated[Any, service_checked(STRING)] = None
    topic: Annotated[Any, service_checked(STRING)] = None
    preferred_times: Annotated[Any, service_checked(STRING)] = None
    invalid_status: ClassVar[int] = 422


class TalkStart(Body):
    """``org_unit`` is checked here (400), the rest by ``server.talks`` (422 naming the field)."""

    model_config = ConfigDict(json_schema_extra={"required": ["org_unit", "kind", "member"]})
    org_unit: UnitRef
    kind: Annotated[Any, service_checked({"enum": ["must", "periodic", "topical"]})] = None
    trigger: Annotated[Any, service_checked(STRING)] = None
    member: Annotated[Any, service_checked(STRING)] = None
    talker: Annotated[Any, service_checked(STRING)] = None
    scheduled_at: Annotated[Any, service_checked({"type": "string", "format": "date-time"})] = None
    place: Annotated[Any, service_checked(STRING)] = None
    way: Annotated[Any, service_checked({"enum": ["face_to_face", "phone", "home_visit"]})] = None
    note: Annotated[Any, service_checked(STRING)] = None
    invalid_message: ClassVar[str] = "'org_unit' (id or code) is required"
    field_messages = {"org_unit": "required"}


class CloseOut(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["summary"]})
    summary: Annotated[Any, service_checked(STRING)] = None
    invalid_status: ClassVar[int] = 422


class FollowUp(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["result", "note"]})
    result: Annotated[Any, service_checked({"enum": ["progressing", "resolved", "not_resolved"]})] = None
    note: Annotated[Any, service_checked(STRING)] = None
    invalid_status: ClassVar[int] = 422


CRITERIA = ("problem_solved", "request_met", "feelings_eased", "work_improved", "affection_deepened",
            "member_satisfied")
GUIDANCE_CRITERIA = ("request_not_met_explained", "educated_and_guided", "feelings_eased", "member_informed")


class ProblemClose(Body):
    model_config = ConfigDict(json_schema_extra={"required": ["criteria", "note"]})
    criteria: Annotated[Any, service_checked({"type": "object", "properties": {
        c: {"type": "boolean"} for c in (*CRITERIA, *GUIDANCE_CRITERIA)}})] = None
    note: Annotated[Any, service_checked(STRING)] = None
    way: Annotated[Any, service_checked({"type": "string", "enum": ["solved", "guided"], "default": "solved",
                                         "description": "solved (the six criteria) or guided (教育引导)"})] = None
    invalid_status: ClassVar[int] = 422


class ReportOpen(Body):
    org_unit: UnitRef
    period: Annotated[Any, service_checked({"type": "string", "pattern": PERIOD_PATTERN})] = None
    invalid_message: ClassVar[str] = "'org_unit' (id or code) is required"
    field_messages = {"org_unit": "required"}


class MemberContactAdd(Body):
    """联系党员: ``contact`` (a committee member or group leader) looks after ``member``."""

    contact: Annotated[Any, service_checked({"type": "string", "description": "username"})] = None
    member: Annotated[Any, service_checked({"type": "string", "description": "username"})] = None
    invalid_status: ClassVar[int] = 422


class MemberContact(Out):
    id: int
    contact: dict[str, Any]
    member: dict[str, Any]


class TalkPlanBody(Body):
    """The half year's talk plan: the fixed talk day and the monthly schedule (谈心安排表)."""

    period: str | None = PERIOD
    talk_day: Annotated[Any, service_checked({"type": "integer", "minimum": 1, "maximum": 28})] = None
    entries: Annotated[Any, service_checked({"type": "array", "items": {"type": "object", "properties": {
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "talker": STRING, "member": STRING}}})] = None
    note: Annotated[Any, service_checked(STRING)] = None
    invalid_status: ClassVar[int] = 422
