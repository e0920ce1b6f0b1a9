"""Wall screens: links to a unit's public board without an account."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from server.api.contract import Body, service_checked
from server.api.schemas.common import OrgUnit, Out


class ScreenNew(Body):
    label: Annotated[Any, service_checked({"type": "string", "maxLength": 100})] = Field(
        None, description="where the screen is, e.g. 党员活动室")
    invalid_message: ClassVar[str] = "name the screen (label)"
    field_messages = {"label": "required"}


class Screen(Out):
    id: int
    org_unit: OrgUnit
    label: str
    created_by: str
    created_at: str
    last_seen_at: str | None


class ScreenCreated(Screen):
    path: str = Field(description="/wall/<secret>: shown once, keep it on the screen")


class ScreenList(Out):
    items: list[Screen]
