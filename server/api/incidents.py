"""Incidents: the open ones in my scope, and a retry after a fix (docs/security.md, incidents)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.api.contract import declare
from server.api.messages import with_localized
from server.api.schemas.incidents import IncidentList, Retried
from server.requests import me, read, write
from server.workflow import incidents

bp = Blueprint("incidents", __name__)
TAGS = ("incidents",)


@bp.get("/incidents")
@declare(ok=IncidentList, errors=(), tags=TAGS)
def list_incidents() -> Any:
    """Open incidents of the instances I oversee (every one for a process designer)"""
    return jsonify({"items": with_localized(read(lambda s: incidents.open_incidents(s, me(s))))})


@bp.post("/process-instances/<int:instance_id>/incidents/<int:incident_id>/retry")
@declare(ok=Retried, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def retry(instance_id: int, incident_id: int) -> Any:
    """Run the failed step again after a fix (the unit's secretary, an org_admin above, a designer)"""
    return jsonify(write(lambda s: incidents.retry(s, me(s), instance_id, incident_id)))


@bp.post("/incidents/<int:incident_id>/retry")
@declare(ok=Retried, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def retry_by_id(incident_id: int) -> Any:
    """The same retry, named by the incident alone (as the monitor and the designer's list call it)"""
    return jsonify(write(lambda s: incidents.retry_incident(s, me(s), incident_id)))
