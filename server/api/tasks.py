"""The inbox: my tasks, one task, claim / unclaim / delegate / complete, bulk completion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from inbox import actions, completion, queries, urging
from server.api.blueprint import status_of
from server.api.contract import declare
from server.api.schemas.tasks import (
    BulkCompletion,
    BulkOutcome,
    Completed,
    Completion,
    Counts,
    Delegation,
    Reminded,
    Task,
    TaskDetail,
    TaskList,
    TaskQuery,
)
from server.errors import DomainError
from server.requests import me, read, write

bp = Blueprint("tasks", __name__)
TAGS = ("tasks",)
ACTION_ERRORS = (403, 404, 409, 422)


@bp.get("/tasks")
@declare(query=TaskQuery, ok=TaskList, tags=TAGS)
def list_tasks(query: TaskQuery) -> Any:
    """My inbox"""
    f = queries.TaskFilter(scope=query.scope, process=query.process or None, stage=query.stage or None,
                           org_unit=query.org_unit, overdue=query.overdue, state=query.state, q=query.q or None,
                           sort=query.sort, limit=query.limit, offset=query.offset,
                           cursor=query.cursor or None)
    return jsonify(read(lambda s: queries.list_tasks(s, me(s), f)))


@bp.get("/tasks/counts")
@declare(ok=Counts, tags=TAGS)
def task_counts() -> Any:
    """How many tasks are mine, claimable, overdue"""
    return jsonify(read(lambda s: queries.counts(s, me(s))))


@bp.get("/tasks/<int:task_id>")
@declare(ok=TaskDetail, errors=(403, 404), tags=TAGS)
def get_task(task_id: int) -> Any:
    """A task with its form, data and what I may do"""
    return jsonify(read(lambda s: actions.get_task(s, me(s), task_id)))


@bp.post("/tasks/<int:task_id>/claim")
@declare(ok=Task, errors=ACTION_ERRORS, write=True, tags=TAGS)
def claim(task_id: int) -> Any:
    """Claim a task offered to my role"""
    return jsonify(write(lambda s: actions.claim(s, me(s), task_id)))


@bp.post("/tasks/<int:task_id>/remind")
@declare(ok=Reminded, errors=(403, 404, 409), write=True, tags=TAGS)
def remind(task_id: int) -> Any:
    """催办: remind the holder of a task (its starter or an overseer; once per 4 hours; audited)"""
    return jsonify(write(lambda s: urging.urge(s, me(s), task_id)))


@bp.post("/tasks/<int:task_id>/unclaim")
@declare(ok=Task, errors=ACTION_ERRORS, write=True, tags=TAGS)
def unclaim(task_id: int) -> Any:
    """Give a claimed task back to its role"""
    return jsonify(write(lambda s: actions.unclaim(s, me(s), task_id)))


@bp.post("/tasks/<int:task_id>/delegate")
@declare(body=Delegation, ok=Task, errors=ACTION_ERRORS, write=True, tags=TAGS)
def delegate(task_id: int, json: Delegation) -> Any:
    """Hand a task to another person who holds its role"""
    return jsonify(write(lambda s: actions.delegate(s, me(s), task_id, json.to)))


@bp.post("/tasks/<int:task_id>/complete")
@declare(body=Completion, ok=Completed, errors=ACTION_ERRORS, write=True, tags=TAGS)
def complete(task_id: int, json: Completion) -> Any:
    """Complete a task with its form data (validated against the form's JSON Schema)"""
    return jsonify(write(_completer(task_id, json.data)))


def _completer(task_id: int, data: dict[str, Any]) -> Callable[[Session], dict[str, Any]]:
    def run(session: Session) -> dict[str, Any]:
        return completion.complete(session, me(session), task_id, data)

    return run


@bp.post("/tasks/bulk-complete")
@declare(body=BulkCompletion, ok=BulkOutcome, write=True, tags=TAGS)
def bulk_complete(json: BulkCompletion) -> Any:
    """Complete many tasks, each in its own transaction; 200 with every item's result (partial success possible)"""
    results: list[dict[str, Any]] = []
    for item in json.items:
        try:
            outcome = write(_completer(item.task_id, item.data))
        except DomainError as exc:
            results.append({"task_id": item.task_id, "ok": False, "status": status_of(exc), "error": exc.code,
                            "message": exc.message, "details": exc.details})
        except (IntegrityError, OperationalError):
            results.append({"task_id": item.task_id, "ok": False, "status": 409, "error": "conflict",
                            "message": "the task was changed at the same time; try again", "details": []})
        else:
            results.append({"task_id": item.task_id, "ok": True, "status": 200, "task": outcome})
    succeeded = sum(1 for r in results if r["ok"])
    return jsonify({"results": results, "succeeded": succeeded, "failed": len(results) - succeeded})
