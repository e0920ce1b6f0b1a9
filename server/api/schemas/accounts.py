"""People's accounts, for the administrators over them."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from server.api.contract import Body, Limit, Offset, Query, service_checked
from server.api.schemas.common import Out


class PeopleQuery(Query):
    q: str = Field("", max_length=100, description="part of a username or a name")
    limit: Limit = 50
    offset: Offset = 0


class AccountPosition(Out):
    role: str
    org_unit: str


class Account(Out):
    username: str
    display_name: str
    positions: list[AccountPosition]
    active: bool
    locked: bool
    locked_at: str | None = None
    must_change_password: bool
    password_changed_at: str | None = None
    manageable: bool = Field(description="whether I may reset, lock or log out this account")


class People(Out):
    items: list[Account]
    total: int


class Reason(Body):
    """Why an administrator acts on an account: it goes into the audit trail."""

    reason: Annotated[str | None, service_checked({"type": "string", "minLength": 1, "maxLength": 500})] = None
    invalid_status: ClassVar[int] = 422
    invalid_message: ClassVar[str] = "say why (reason): it goes into the audit trail"
    field_messages = {"reason": "required"}


class PasswordReset(Out):
    username: str
    temporary_password: str = Field(description="shown once: hand it to the person, who must replace it")
    must_change_password: bool


class Locked(Out):
    username: str
    locked: bool


class SessionsEnded(Out):
    username: str
    sessions_ended: bool
