"""Monitoring: an instance on its diagram, a process's heat map, notifications, schedules."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from server.api.contract import Body, Limit, Offset, Query, QueryBool, int_range, service_checked
from server.api.schemas.common import OrgUnit, Out, UnitType


class UnitList(Out):
    items: list[OrgUnit]
    total: int


class ElementState(Out):
    state: Literal["completed", "active", "overdue", "cancelled"]
    tasks: list[dict[str, Any]]


class InstanceMonitor(Out):
    instance: dict[str, Any]
    process_key: str
    version: int
    bpmn_url: str
    elements: dict[str, ElementState]
    counts: dict[str, Any]
    history: list[dict[str, Any]]


class HeatmapQuery(Query):
    version: Annotated[int, int_range(0, 10**6), Field(ge=0, le=10**6)] = Field(
        0, description="process version (default: the latest)")
    org_unit: str | None = Field(None, description="top of the subtree, id or code (default: my org_admin unit)")


class ElementHeat(Out):
    open: int
    overdue: int
    completed: int
    cancelled: int
    mean_seconds: float | None
    mean_open_seconds: float | None


class Heatmap(Out):
    process_key: str
    version: int
    versions: list[int]
    bpmn_url: str
    org_unit: OrgUnit
    instances: dict[str, Any]
    max_open: int
    elements: dict[str, ElementHeat]
    recent: list[dict[str, Any]]


class NotificationQuery(Query):
    unread: QueryBool = Field(None, description="only unread (true) or read (false)")
    limit: Limit = 50
    offset: Offset = 0


class Notification(Out):
    id: int
    kind: str
    title: str
    body: str
    task_id: int | None
    instance_id: int | None
    created_at: str
    read_at: str | None
    read: bool
    email_state: Literal["pending", "sent", "failed"] | None


class NotificationList(Out):
    items: list[Notification]
    total: int
    unread: int


class Marked(Out):
    marked: int


class ScheduleRequest(Body):
    """Checked by ``server.workflow.schedules`` (422 naming the field); PATCH sends only what changes."""

    process_key: Annotated[Any, service_checked({"type": "string"})] = None
    org_unit: Annotated[Any, service_checked({"anyOf": [{"type": "integer"}, {"type": "string"}],
                                              "description": "id or code"})] = None
    unit_type: Annotated[Any, service_checked({"enum": list(UnitType.__args__)})] = None
    cadence: Annotated[Any, service_checked({
        "type": "string", "description": "quarterly, half_yearly, a 5-field cron expression, or bpmn"})] = None
    title: Annotated[Any, service_checked({"type": "string"})] = None
    data: Annotated[Any, service_checked({"type": "object"})] = None
    enabled: Annotated[Any, service_checked({"type": "boolean"})] = None
    next_run_at: Annotated[Any, service_checked({"type": "string", "format": "date-time"})] = None
    invalid_status: ClassVar[int] = 422


class Schedule(Out):
    id: int
    process_key: str
    org_unit: OrgUnit
    unit_type: str
    cadence: str
    title: str | None
    data: dict[str, Any] | None
    enabled: bool
    next_run_at: str | None
    last_run_at: str | None
    runs: int


class ScheduleList(Out):
    items: list[Schedule]
    total: int
