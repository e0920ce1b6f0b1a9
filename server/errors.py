"""Domain errors. They know nothing of HTTP; ``server.api`` maps them to status codes."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(DomainError):
    code = "not_found"


class Unauthorized(DomainError):
    """Not logged in, or the credentials are wrong."""

    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the thing first (claimed, completed, advanced)."""

    code = "conflict"


class Declined(Conflict):
    """A start that does not apply to this unit and period (its round already ran, the rule gives it
    none): refused by hand with 409; a schedule passes the unit by instead of retrying."""


class Invalid(DomainError):
    """The input breaks a rule; ``details`` names each field or BPMN element."""

    code = "invalid"


class BadRequest(DomainError):
    code = "bad_request"



class StepFailed(Invalid):
    """A step of an instance failed in a script or expression (or the engine could not take it).

    The step's transaction is rolled back; ``server.requests.write`` (or the timer loop) then
    records an incident in a transaction of its own and sets ``incident_id``.
    """

    def __init__(self, message: str, details: list[dict[str, Any]], *, instance_id: int | None,
                 element_id: str | None, error_class: str, reason: str, cause: str = "step"):
        super().__init__(message, details)
        self.instance_id = instance_id
        self.element_id = element_id
        self.error_class = error_class
        self.reason = reason
        self.cause = cause
        self.task_id: int | None = None
        self.job_id: int | None = None
        self.incident_id: int | None = None
