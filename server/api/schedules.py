"""Recurring starts (org_admin): a process in every unit of a type under a unit, each period."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.api.contract import declare
from server.api.schemas.monitoring import Schedule, ScheduleList, ScheduleRequest
from server.requests import me, read, write
from server.workflow import schedules

bp = Blueprint("schedules", __name__)
TAGS = ("schedules",)


@bp.get("/schedules")
@declare(ok=ScheduleList, tags=TAGS)
def list_schedules() -> Any:
    """Recurring starts I administer (org_admin)"""

    def listing(session: Any) -> dict[str, Any]:
        rows = schedules.list_schedules(session, me(session))
        return {"items": [schedules.schedule_dict(s) for s in rows], "total": len(rows)}

    return jsonify(read(listing))


@bp.post("/schedules")
@declare(body=ScheduleRequest, ok=Schedule, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def create_schedule(json: ScheduleRequest) -> Any:
    """Start a process in every unit of a type under a unit, each period (org_admin)"""
    body = json.model_dump(exclude_unset=True)
    return jsonify(write(lambda s: schedules.schedule_dict(schedules.create_schedule(s, me(s), body)))), 201


@bp.patch("/schedules/<int:schedule_id>")
@declare(body=ScheduleRequest, ok=Schedule, errors=(403, 404, 422), write=True, tags=TAGS)
def update_schedule(schedule_id: int, json: ScheduleRequest) -> Any:
    """Enable, disable or change a schedule (org_admin)"""
    body = json.model_dump(exclude_unset=True)
    return jsonify(write(lambda s: schedules.schedule_dict(schedules.update_schedule(s, me(s), schedule_id, body))))
