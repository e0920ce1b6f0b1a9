"""Shapes that several areas answer with."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, WithJsonSchema

IsoDate = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
UnitType = Literal["district", "party_committee", "general_branch", "branch", "party_group"]


class Out(BaseModel):
    """A response shape: the fields listed are documented, others may follow."""

    model_config = ConfigDict(extra="allow")


class OrgUnit(Out):
    id: int
    code: str
    name: str
    type: UnitType


class Items(Out):
    """A list of objects."""

    items: list[dict[str, Any]]
    total: int


class Anything(Out):
    """A JSON object."""


class Binary(BaseModel):
    """A file download (the response is the file, not JSON)."""
