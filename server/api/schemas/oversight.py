"""Overseers moving stuck work: reassign a task, withdraw a person, cancel, suspend, resume, close a stage."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from server.api.contract import Body
from server.api.schemas.common import Out

REASON = Field(description="why (kept in the instance's history)", json_schema_extra={"minLength": 2})


class Reason(Body):
    reason: str = REASON
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "give a reason: {fields}"
    field_messages = {"reason": "required"}


class Reassignment(Reason):
    to: str = Field(min_length=1, description="username of the eligible person who takes the task")
    invalid_message: ClassVar[str] = "'to' (a username) and 'reason' are required: {fields}"
    field_messages = {"to": "required", "reason": "required"}


class Withdrawal(Reason):
    person: str = Field(min_length=1, description="username of the person taken out of the multi-instance")
    invalid_message: ClassVar[str] = "'person' (a username) and 'reason' are required: {fields}"
    field_messages = {"person": "required", "reason": "required"}


class Cancellation(Reason):
    dry_run: bool = Field(False, description="only count what would be cancelled (the cascade)")


class StageClosing(Reason):
    stage: str = Field(min_length=1, description="stage code, e.g. pledge")
    invalid_message: ClassVar[str] = "'stage' and 'reason' are required: {fields}"
    field_messages = {"stage": "required", "reason": "required"}


class InstanceBrief(Out):
    id: int
    state: str
    stage: str | None = None


class Withdrawn(Out):
    person: Any
    activity: str
    waiting_at: list[str]


class Controlled(Out):
    instance: InstanceBrief
    withdrawn: list[Withdrawn] | None = None
    cascade: int | None = Field(None, description="running instances below it (cancel)")
    cancelled: list[int] | None = None


class Eligible(Out):
    username: str
    name: str
    current: bool


class EligibleList(Out):
    items: list[Eligible]


class Participant(Out):
    person: str
    name: str | None
    activity: str


class ParticipantList(Out):
    items: list[Participant]


Id = Annotated[int, Field(ge=0, le=2**31 - 1)]


class MigrationRequest(Body):
    to_version: Id | None = Field(None, description="the version to move to (default: the latest)")
    instances: list[Id] | None = Field(None, max_length=1000, description="only these (default: all)")
    dry_run: bool = Field(True, description="only list what would move and what cannot")
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "invalid migration request: {fields}"


class MigratedInstance(Out):
    id: int
    from_version: int
    active: list[str]
    blocked: list[str] = Field(description="active elements missing in the new version: the instance cannot move")
    moved: bool


class MigrationReport(Out):
    process_key: str
    to_version: int
    dry_run: bool
    instances: list[MigratedInstance]
    movable: int
    blocked: int
