from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from inbox import actions, completion, queries
from server.api import STATUS, api_bp, bool_arg, int_arg, json_body
from server.errors import BadRequest, DomainError
from server.requests import me, read, write


@api_bp.get("/tasks")
def list_tasks() -> Any:
    unit = request.args.get("org_unit")
    if unit is not None and not unit.isdigit():
        raise BadRequest("'org_unit' must be a unit id", [{"field": "org_unit", "message": "not an id"}])
    f = queries.TaskFilter(
        scope=request.args.get("scope", "mine"),
        process=request.args.get("process") or None,
        stage=request.args.get("stage") or None,
        org_unit=int(unit) if unit else None,
        overdue=bool_arg("overdue"),
        state=request.args.get("state", "open"),
        q=request.args.get("q") or None,
        sort=request.args.get("sort", "due"),
        limit=int_arg("limit", 50, 1, 500),
        offset=int_arg("offset", 0, 0, 10**9),
    )
    if f.state not in ("open", "completed", "cancelled", "any"):
        raise BadRequest("state must be open, completed, cancelled or any",
                         [{"field": "state", "message": "unknown state"}])
    return jsonify(read(lambda s: queries.list_tasks(s, me(s), f)))


@api_bp.get("/tasks/counts")
def task_counts() -> Any:
    return jsonify(read(lambda s: queries.counts(s, me(s))))


@api_bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Any:
    return jsonify(read(lambda s: actions.get_task(s, me(s), task_id)))


@api_bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Any:
    return jsonify(write(lambda s: actions.claim(s, me(s), task_id)))


@api_bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Any:
    return jsonify(write(lambda s: actions.unclaim(s, me(s), task_id)))


@api_bp.post("/tasks/<int:task_id>/delegate")
def delegate(task_id: int) -> Any:
    to = json_body().get("to")
    if not isinstance(to, str) or not to:
        raise BadRequest("'to' (a username) is required", [{"field": "to", "message": "required"}])
    return jsonify(write(lambda s: actions.delegate(s, me(s), task_id, to)))


@api_bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int) -> Any:
    body = json_body()
    data = body.get("data", {})

    def run(session: Session) -> dict[str, Any]:
        return completion.complete(session, me(session), task_id, data)

    return jsonify(write(run))


BULK_LIMIT = 200


def _completer(task_id: int, data: dict[str, Any]) -> Callable[[Session], dict[str, Any]]:
    def run(session: Session) -> dict[str, Any]:
        return completion.complete(session, me(session), task_id, data)

    return run


@api_bp.post("/tasks/bulk-complete")
def bulk_complete() -> Any:
    """Complete many tasks, each in its own transaction: some may succeed while others fail."""
    items = json_body().get("items")
    if not isinstance(items, list) or not items:
        raise BadRequest("'items' must be a non-empty list of {task_id, data}",
                         [{"field": "items", "message": "required"}])
    if len(items) > BULK_LIMIT:
        raise BadRequest(f"at most {BULK_LIMIT} tasks at once", [{"field": "items", "message": "too many"}])
    problems = [{"field": f"items.{i}", "message": "expected {task_id: integer, data: object}"}
                for i, item in enumerate(items)
                if not isinstance(item, dict) or not isinstance(item.get("task_id"), int)
                or isinstance(item.get("task_id"), bool) or not isinstance(item.get("data", {}), dict)]
    if problems:
        raise BadRequest("malformed items", problems)
    results: list[dict[str, Any]] = []
    for item in items:
        task_id, data = int(item["task_id"]), item.get("data", {})
        try:
            outcome = write(_completer(task_id, data))
        except DomainError as exc:
            status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
            results.append({"task_id": task_id, "ok": False, "status": status, "error": exc.code,
                            "message": exc.message, "details": exc.details})
        except (IntegrityError, OperationalError):
            results.append({"task_id": task_id, "ok": False, "status": 409, "error": "conflict",
                            "message": "the task was changed at the same time; try again", "details": []})
        else:
            results.append({"task_id": task_id, "ok": True, "status": 200, "task": outcome})
    succeeded = sum(1 for r in results if r["ok"])
    return jsonify({"results": results, "succeeded": succeeded, "failed": len(results) - succeeded})
