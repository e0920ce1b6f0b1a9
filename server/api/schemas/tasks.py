"""The inbox: task lists, one task, claim / delegate / complete."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.api.contract import Body, Limit, Offset, Query, QueryBool, QueryId, one_of, problem
from server.api.schemas.common import OrgUnit, Out

TASK_STATES = ("open", "completed", "cancelled", "any")


class TaskQuery(Query):
    scope: str = Field("mine", json_schema_extra={
        "enum": ["mine", "claimable", "all", "done", "started", "cc"],
        "description": "mine: assigned to me; claimable: offered to a role I hold; all: everything I may see; "
                       "done: completed by me (with state=completed); started: in instances I started; "
                       "cc (抄送我): in units I oversee, neither mine nor offered to me"})
    process: str | None = Field(None, description="process key")
    stage: str | None = Field(None, description="stage code")
    org_unit: QueryId = Field(None, description="org unit id")
    overdue: QueryBool = Field(None, description="only overdue (true) or not overdue (false)")
    state: Annotated[Literal["open", "completed", "cancelled", "any"],
                     one_of(TASK_STATES, "state must be open, completed, cancelled or any", "unknown state")] = "open"
    q: str | None = Field(None, description="text in the task's name or instructions, the name of the person it is "
                                             "about (subject) or the beginning of what it asks (excerpt)")
    sort: str = Field("due", json_schema_extra={"enum": ["due", "-priority", "created", "-created"]})
    limit: Limit = 50
    offset: Offset = Field(0, description="deprecated, for old clients: skip this many (slow on deep pages, "
                                          "and a task closed meanwhile shifts the rest); use cursor")
    cursor: str | None = Field(None, description="the next_cursor of the previous page, with the "
                               "same filters and sort: the page after it (keyset pagination)")
    invalid_message: ClassVar[str] = "'org_unit' must be a unit id"
    field_messages = {"org_unit": "not an id"}


class Task(Out):
    id: int
    name: str | None
    element_id: str
    process_key: str
    instance_id: int
    stage: str | None
    subject: str | None = Field(None, description="who the task is about, by name (the member whose pledge it is)")
    labels_en: dict[str, str] | None = Field(None, description="name, instructions and stage_label in English, "
                                                              "when the process gives them")
    excerpt: str | None = Field(None, description="the beginning of what it asks (the pledge's words)")
    org_unit: OrgUnit
    role: str | None
    assignee: str | None
    due_at: str | None
    due_working_days: int | None = Field(None, description="working days left until due_at (negative: overdue "
                                                           "by that many; 0: due today), by the holiday calendar")
    overdue: bool
    priority: int
    state: Literal["open", "completed", "cancelled"]


class TaskDetail(Task):
    form_schema: dict[str, Any] | None = None
    data: dict[str, Any]
    instructions: str | None = None
    actions: list[str]
    started_by_name: str | None = Field(None, description="who started the instance, by name")
    people: dict[str, str] = Field(default_factory=dict,
                                   description="username → display name of the people the task's summary shows")


class TaskList(Out):
    items: list[Task]
    total: int = Field(description="how many match, counted up to 1,000; with total_exact false, more than that")
    total_exact: bool = Field(description="true: exactly `total` match; false: counting stopped, more than `total` "
                                          "match (shown as “1000+” / “1000 项以上”)")
    limit: int
    offset: int
    next_cursor: str | None = Field(description="pass as cursor for the next page; null: this is the last page")


class Counts(Out):
    mine: int
    claimable: int
    overdue: int


class Reminded(Out):
    task_id: int
    reminded: list[str] = Field(description="who was reminded, by name")
    next_at: str = Field(description="the next reminder may be sent after this time")


class Delegation(Body):
    to: str = Field(min_length=1, description="username of a person who holds the task's role")
    invalid_message: ClassVar[str] = "'to' (a username) is required"
    field_messages = {"to": "required"}


class Completion(Body):
    data: dict[str, Any] = Field(default_factory=dict, description="the form's data, checked against its schema")
    invalid_message: ClassVar[str] = "'data' must be a JSON object"
    field_messages = {"data": "must be an object"}


class Completed(Out):
    """The completed task; the instance moved on."""


BULK_LIMIT = 200


ID_MAX = 2**31 - 1  # ids are 32-bit: a larger number names no task (and no database takes it)


class BulkItem(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    task_id: int = Field(ge=-ID_MAX, le=ID_MAX)
    data: dict[str, Any] = Field(default_factory=dict)


def _malformed(item: Any) -> bool:
    return (not isinstance(item, dict) or not isinstance(item.get("task_id"), int)
            or isinstance(item.get("task_id"), bool) or not -ID_MAX <= item["task_id"] <= ID_MAX
            or not isinstance(item.get("data", {}), dict))


class BulkCompletion(Body):
    items: list[BulkItem] = Field(min_length=1, max_length=BULK_LIMIT)
    invalid_message: ClassVar[str] = "'items' must be a non-empty list of {task_id, data}"
    field_messages = {"items": "required"}

    @field_validator("items", mode="before")
    @classmethod
    def _shape(cls, items: Any) -> Any:
        if not isinstance(items, list) or not items:
            raise problem("'items' must be a non-empty list of {task_id, data}", "required")
        if len(items) > BULK_LIMIT:
            raise problem(f"at most {BULK_LIMIT} tasks at once", "too many")
        bad = [{"field": f"items.{i}", "message": "expected {task_id: integer, data: object}"}
               for i, item in enumerate(items) if _malformed(item)]
        if bad:
            raise problem("malformed items", "", bad)
        return items


class BulkResult(Out):
    task_id: int
    ok: bool
    status: int
    error: str | None = None
    message: str | None = None
    details: list[dict[str, Any]] | None = None
    task: dict[str, Any] | None = None


class BulkOutcome(Out):
    results: list[BulkResult]
    succeeded: int
    failed: int
