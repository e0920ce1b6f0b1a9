"""Recurring starts (org_admin): a process in every unit of a type under a unit, each period."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from server.api import api_bp, json_body
from server.requests import me, read, write
from server.workflow import schedules


@api_bp.get("/schedules")
def list_schedules() -> Any:
    def listing(session: Any) -> dict[str, Any]:
        rows = schedules.list_schedules(session, me(session))
        return {"items": [schedules.schedule_dict(s) for s in rows], "total": len(rows)}

    return jsonify(read(listing))


@api_bp.post("/schedules")
def create_schedule() -> Any:
    body = json_body()
    return jsonify(write(lambda s: schedules.schedule_dict(schedules.create_schedule(s, me(s), body)))), 201


@api_bp.patch("/schedules/<int:schedule_id>")
def update_schedule(schedule_id: int) -> Any:
    body = json_body()
    return jsonify(write(lambda s: schedules.schedule_dict(schedules.update_schedule(s, me(s), schedule_id, body))))
