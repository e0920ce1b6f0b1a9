"""Process definitions: deploy, validate, versions, diff; the form schemas."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from server.api.contract import Query, int_range
from server.api.schemas.common import Out

Version = Annotated[int | None, int_range(1, 10**6), Field(ge=1, le=10**6)]

#: deploy and validate take the BPMN file as multipart (with forms and decisions) or as the raw XML body
UPLOAD = {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"},
        "forms": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "dmn": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
    "application/xml": {"schema": {"type": "string"}},
}


class Definition(Out):
    id: int
    key: str
    version: int
    name: str | None
    stages: list[dict[str, Any]]
    deployed_at: str | None


class DefinitionList(Out):
    items: list[Definition]
    total: int


class Deployed(Definition):
    deployed: list[Definition]


class Validation(Out):
    valid: bool
    processes: list[str]
    details: list[dict[str, Any]]


class DiffQuery(Query):
    from_: Version = Field(None, alias="from", description="older version (default: the one before 'to')")
    to: Version = Field(None, description="newer version (default: the latest)")


class Change(Out):
    field: str
    old: Any = None
    new: Any = None


class ChangedElement(Out):
    id: str
    type: str
    name: str | None = None
    changes: list[Change]


class DefinitionDiff(Out):
    key: str
    from_: int = Field(alias="from")
    to: int
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[ChangedElement]
    moved: list[Any]


class Form(Out):
    name: str
    title: str | None
    schema_: Any = Field(alias="schema")


class FormList(Out):
    items: list[Form]
    total: int
