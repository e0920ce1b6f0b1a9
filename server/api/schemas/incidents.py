"""Incidents: steps that failed in a script or expression (docs/security.md)."""

from __future__ import annotations

from pydantic import Field

from server.api.schemas.common import Out


class Incident(Out):
    id: int
    instance_id: int
    element_id: str | None = Field(description="the BPMN element whose script or expression failed")
    error_class: str = Field(description="TimeoutError, MemoryError, NameError, SystemExit …")
    message: str
    localized: str | None = Field(None, description="the message in the user's language, when not English")
    cause: str = Field(description="task (a completion), timer (a fired timer) or step (a retry)")
    task_id: int | None
    occurrences: int
    state: str = Field(description="open or resolved")
    occurred_at: str
    last_occurred_at: str
    resolved_at: str | None
    process_key: str
    version: int
    org_unit: str | None
    org_unit_name: str | None
    title: str | None


class IncidentList(Out):
    items: list[Incident]


class Retried(Out):
    incident: Incident
    outcome: str = Field(description="scheduled (a timer armed again, due now) or resolved (the step ran)")
