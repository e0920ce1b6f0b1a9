"""The people of a unit, for a person picker."""

from __future__ import annotations

from pydantic import Field

from server.api.contract import Query
from server.api.schemas.common import Out


class PickerQuery(Query):
    role: str | None = Field(None, max_length=200, pattern=r"^[a-z_]+(\|[a-z_]+)*$",
                             description="only holders of these roles, e.g. member or secretary|committee_member")
    field_messages = {"role": "roles separated by |"}


class PickedPerson(Out):
    username: str
    name: str


class PickerList(Out):
    items: list[PickedPerson]
