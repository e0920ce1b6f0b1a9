from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy.orm import Session

from inbox import service
from server.api import api_bp, int_arg, json_body
from server.errors import BadRequest
from server.requests import me, read, write


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise BadRequest(f"'{name}' must be true or false", [{"field": name, "message": "not a boolean"}])


@api_bp.get("/tasks")
def list_tasks() -> Any:
    unit = request.args.get("org_unit")
    if unit is not None and not unit.isdigit():
        raise BadRequest("'org_unit' must be a unit id", [{"field": "org_unit", "message": "not an id"}])
    f = service.TaskFilter(
        scope=request.args.get("scope", "mine"),
        process=request.args.get("process") or None,
        stage=request.args.get("stage") or None,
        org_unit=int(unit) if unit else None,
        overdue=_bool_arg("overdue"),
        state=request.args.get("state", "open"),
        q=request.args.get("q") or None,
        sort=request.args.get("sort", "due"),
        limit=int_arg("limit", 50, 1, 500),
        offset=int_arg("offset", 0, 0, 10**9),
    )
    if f.state not in ("open", "completed", "cancelled", "any"):
        raise BadRequest("state must be open, completed, cancelled or any",
                         [{"field": "state", "message": "unknown state"}])
    return jsonify(read(lambda s: service.list_tasks(s, me(s), f)))


@api_bp.get("/tasks/counts")
def task_counts() -> Any:
    return jsonify(read(lambda s: service.counts(s, me(s))))


@api_bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Any:
    return jsonify(read(lambda s: service.get_task(s, me(s), task_id)))


@api_bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Any:
    return jsonify(write(lambda s: service.claim(s, me(s), task_id)))


@api_bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Any:
    return jsonify(write(lambda s: service.unclaim(s, me(s), task_id)))


@api_bp.post("/tasks/<int:task_id>/delegate")
def delegate(task_id: int) -> Any:
    to = json_body().get("to")
    if not isinstance(to, str) or not to:
        raise BadRequest("'to' (a username) is required", [{"field": "to", "message": "required"}])
    return jsonify(write(lambda s: service.delegate(s, me(s), task_id, to)))


@api_bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int) -> Any:
    body = json_body()
    data = body.get("data", {})

    def run(session: Session) -> dict[str, Any]:
        return service.complete(session, me(session), task_id, data)

    return jsonify(write(run))
