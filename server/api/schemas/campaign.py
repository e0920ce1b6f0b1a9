"""Vanguard campaigns and quarterly selections."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from server.api.contract import Body, Query, QueryId, UnitRef, service_checked
from server.api.schemas.common import OrgUnit, Out
from server.api.schemas.instances import Instance
from server.campaign.board import COUNTS
from server.campaign.plan import STAGES

DATE = {"type": "string", "format": "date"}


class CampaignQuery(Query):
    campaign: Annotated[QueryId, BeforeValidator(lambda raw: raw or None)] = Field(
        None, description="vanguard_campaign instance id (default: the latest campaign reaching the unit)")
    invalid_message: ClassVar[str] = "'campaign' must be the id of a vanguard_campaign instance"
    field_messages = {"campaign": "not an id"}


class CampaignPlan(Body):
    """The plan: checked by the campaign's rules when the process starts (422 naming the field)."""

    model_config = ConfigDict(json_schema_extra={"required": ["org_unit", "theme", "carrier", "timetable"]})
    org_unit: UnitRef = Field(description="district or party committee")
    title: Annotated[Any, service_checked({"type": "string"})] = None
    theme: Annotated[Any, service_checked({"type": "string"})] = None
    carrier: Annotated[Any, service_checked({"type": "string"})] = None
    timetable: Annotated[Any, service_checked({
        "type": "object", "description": "last day of each stage, non-decreasing",
        "properties": {stage: DATE for stage in STAGES}})] = None
    target_unit_types: Annotated[Any, service_checked({
        "type": "array", "items": {"type": "string"}, "default": ["branch"]})] = None
    invalid_message: ClassVar[str] = "cannot launch: org_unit is required (id or code)"
    field_messages = {"org_unit": "required (id or code)"}


class CampaignLaunch(Out):
    id: int
    campaign_id: int
    state: Literal["pending", "running", "done", "failed"]
    done: bool
    total: int
    created: int
    percent: int
    batches: int
    error: str | None
    url: str


class Launched(Out):
    campaign: Instance
    launch: CampaignLaunch


class Campaign(Out):
    id: int
    title: str | None
    theme: str | None
    carrier: str | None
    timetable: dict[str, Any] | None
    branches: int
    stages: list[dict[str, Any]]
    launch: CampaignLaunch | None


UnitProgress = Annotated[dict[str, Any], WithJsonSchema({"type": "object", "properties": {
    "unit": {"type": "object", "description": "the org unit"}, "parent_id": {"type": ["integer", "null"]},
    "depth": {"type": "integer"}, "run": {"type": ["object", "null"], "description": "this unit's own branch run"},
    "branches": {"type": "integer"}, "completed": {"type": "integer"},
    "stages": {"type": "object", "description": "branch runs per stage code in the subtree"},
    **{key: {"type": "integer"} for key in COUNTS}}})]


class CampaignProgress(Out):
    campaign: dict[str, Any]
    unit: OrgUnit
    stages: list[dict[str, Any]]
    units: list[UnitProgress]


class Board(Out):
    org_unit: OrgUnit
    campaign: dict[str, Any] | None
    branch: dict[str, Any] | None
    pledges: list[dict[str, Any]] = Field(description="approved pledges only")
    leader_review: dict[str, Any] | None
    appraisal: dict[str, Any] | None = Field(description="published results per member")
    commendations: list[dict[str, Any]]
    selections: list[dict[str, Any]] = Field(
        description="candidates under notice (with objections_url) and confirmed rounds")


class SelectionStart(Body):
    org_unit: UnitRef
    quarter: Annotated[Any, service_checked({"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"})] = None
    notice_days: Annotated[Any, service_checked({"type": "integer", "minimum": 1, "maximum": 30,
                                                 "default": 5})] = None
    invalid_message: ClassVar[str] = "cannot start: org_unit is required (id or code)"
    field_messages = {"org_unit": "required (id or code)"}


class Selection(Out):
    instance_id: int
    quarter: str
    quota: int
    member_count: int
    notice_until: str | None
    candidates: list[dict[str, Any]]
    my_feedback: dict[str, Any] | None
    evaluations: list[dict[str, Any]] | None = Field(None, description="managers only")
    objections: list[dict[str, Any]] | None = Field(None, description="managers only")
    feedback: list[dict[str, Any]] | None = Field(None, description="managers only")


class SelectionStarted(Out):
    instance: Instance
    selection: Selection


class Objection(Body):
    candidate: str = Field(min_length=1, description="username")
    reason: Annotated[Any, service_checked({"type": "string"})] = None
    invalid_message: ClassVar[str] = "'candidate' (a username) is required"
    field_messages = {"candidate": "required"}


class ObjectionRecorded(Out):
    """The objection as recorded."""


class SelectionRuleBody(Body):
    """How the branches under a unit apply "不超过本党支部党员人数的10%" (docs/campaign.md)."""

    percent: Annotated[Any, service_checked({"type": "integer", "minimum": 1, "maximum": 10})] = None
    small_branch: Annotated[Any, service_checked({"type": "string", "enum": ["evaluate", "no_round"]})] = None
    note: Annotated[Any, service_checked({"type": "string", "maxLength": 1000})] = None


class SelectionRule(Out):
    org_unit: OrgUnit
    percent: int
    small_branch: Literal["evaluate", "no_round"]
    set_at: OrgUnit | None = Field(description="the unit whose setting applies; null: the default")
    example: dict[str, int] = Field(description="members → quota under this rule")
    may_edit: bool


class BasisQuery(Query):
    year: Annotated[QueryId, BeforeValidator(lambda raw: raw or None)] = Field(
        None, description="the year (1950–2200), by default this year")


class MemberBasis(Out):
    """重要依据 per member: excellent selections, pledge fulfilment, talk rectification (counts)."""

    org_unit: OrgUnit
    year: int
    members: list[dict[str, Any]]
