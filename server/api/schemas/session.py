"""Logging in and out, who I am."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from server.api.contract import Body, one_of
from server.api.schemas.common import OrgUnit, Out


class Credentials(Body):
    username: str
    password: str
    invalid_message: ClassVar[str] = "username and password are required"
    field_messages = {"username": "required", "password": "required"}


class SessionCreated(Out):
    username: str
    display_name: str
    must_change_password: bool
    csrf_token: str


class Position(Out):
    org_unit: OrgUnit
    role: str
    start: str | None = None
    end: str | None = None


class Me(Out):
    username: str
    display_name: str
    locale: str
    must_change_password: bool
    csrf_token: str
    positions: list[Position]


Locale = Literal["zh_Hans_CN", "en"]


class LocaleChange(Body):
    locale: Annotated[Locale, one_of(("zh_Hans_CN", "en"), "locale must be zh_Hans_CN or en", "unsupported")] = \
        Field(json_schema_extra={"description": "zh_Hans_CN or en"})
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "locale must be zh_Hans_CN or en"
    field_messages = {"locale": "unsupported"}


class LocaleChanged(Out):
    locale: Locale


class PasswordChange(Body):
    old: str = Field(max_length=256)
    new: str = Field(max_length=256)
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "send the current password (old) and the new one (new)"
    field_messages = {"old": "required", "new": "required"}


class PasswordChanged(Out):
    must_change_password: bool
    csrf_token: str
