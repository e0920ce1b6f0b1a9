"""Process instances: start, list, one instance, comments."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from server.api.contract import Body, Limit, Offset, Query, UnitRef, one_of, problem
from server.api.schemas.common import OrgUnit, Out
from server.api.schemas.incidents import Incident
from server.api.schemas.tasks import Task


class StartRequest(Body):
    process_key: str = Field(min_length=1)
    org_unit: UnitRef
    data: dict[str, Any] = Field(default_factory=dict)
    invalid_message: ClassVar[str] = "cannot start: {fields}"
    field_messages = {"process_key": "required", "org_unit": "required (id or code)", "data": "must be an object"}


class InstanceQuery(Query):
    state: Annotated[Literal["running", "completed"] | None,
                     one_of(("running", "completed", None), "state must be running or completed", "unknown")] = None
    process: str | None = Field(None, description="process key")
    limit: Limit = 50
    offset: Offset = 0


class Instance(Out):
    id: int
    process_key: str
    version: int
    state: str
    stage: str | None = None
    org_unit: OrgUnit
    open_tasks: list[Task] | None = None
    history: list[dict[str, Any]] | None = None
    incidents: list[Incident] | None = Field(None, description="its overseers and designers only")


class InstanceList(Out):
    items: list[Instance]
    total: int


class Comment(Out):
    id: int
    instance_id: int
    body: str
    author: str
    author_name: str
    created_at: str


class CommentList(Out):
    items: list[Comment]


COMMENT_LIMIT = 2000


class NewComment(Body):
    body: str = Field(min_length=1, max_length=COMMENT_LIMIT)
    invalid_message: ClassVar[str] = "'body' (the comment) is required"
    field_messages = {"body": "required"}

    @field_validator("body", mode="before")
    @classmethod
    def _text(cls, text: Any) -> Any:
        if isinstance(text, str) and not text.strip():
            raise problem("'body' (the comment) is required", "required")
        if isinstance(text, str) and len(text) > COMMENT_LIMIT:
            raise problem(f"a comment is at most {COMMENT_LIMIT} characters", "too long")
        return text
