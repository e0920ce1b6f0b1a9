"""Overseers move stuck work (docs/oversight.md): reassign, withdraw, cancel, suspend, resume, close a stage."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from inbox import closing, oversight
from server.api.contract import declare
from server.api.schemas.oversight import (
    Cancellation,
    Controlled,
    EligibleList,
    MigrationReport,
    MigrationRequest,
    ParticipantList,
    Reason,
    Reassignment,
    StageClosing,
    Withdrawal,
)
from server.api.schemas.tasks import Task
from server.requests import me, read, write
from server.workflow import control, migration

bp = Blueprint("oversight", __name__)
TAGS = ("oversight",)
ERRORS = (403, 404, 409, 422)


@bp.get("/tasks/<int:task_id>/eligible")
@declare(ok=EligibleList, errors=(403, 404), tags=TAGS)
def eligible(task_id: int) -> Any:
    """Whom an overseer may hand this task to"""
    return jsonify({"items": read(lambda s: oversight.eligible_people(s, me(s), task_id))})


@bp.post("/tasks/<int:task_id>/reassign")
@declare(body=Reassignment, ok=Task, errors=ERRORS, write=True, tags=TAGS)
def reassign(task_id: int, json: Reassignment) -> Any:
    """Hand an open task (bound ones included) to another eligible person, with a reason"""
    return jsonify(write(lambda s: oversight.reassign(s, me(s), task_id, json.to, json.reason)))


@bp.get("/process-instances/<int:instance_id>/participants")
@declare(ok=ParticipantList, errors=(403, 404), tags=TAGS)
def participants(instance_id: int) -> Any:
    """Who takes part in a running multi-instance now (and could be withdrawn)"""
    return jsonify({"items": read(lambda s: control.participants(s, me(s), instance_id))})


@bp.post("/process-instances/<int:instance_id>/withdraw")
@declare(body=Withdrawal, ok=Controlled, errors=ERRORS, write=True, tags=TAGS)
def withdraw(instance_id: int, json: Withdrawal) -> Any:
    """Take one person out of the instance's running multi-instances; the rest goes on"""
    return jsonify(write(lambda s: control.withdraw_person(s, me(s), instance_id, json.person, json.reason)))


@bp.post("/process-instances/<int:instance_id>/cancel")
@declare(body=Cancellation, ok=Controlled, errors=ERRORS, write=True, tags=TAGS)
def cancel(instance_id: int, json: Cancellation) -> Any:
    """Cancel an instance and every running instance below it (``dry_run``: count them)"""
    return jsonify(write(lambda s: control.cancel(s, me(s), instance_id, json.reason, dry_run=json.dry_run)))


@bp.post("/process-instances/<int:instance_id>/suspend")
@declare(body=Reason, ok=Controlled, errors=ERRORS, write=True, tags=TAGS)
def suspend(instance_id: int, json: Reason) -> Any:
    """Suspend an instance: its tasks cannot be completed, its timers wait"""
    return jsonify(write(lambda s: control.suspend(s, me(s), instance_id, json.reason)))


@bp.post("/process-instances/<int:instance_id>/resume")
@declare(body=Reason, ok=Controlled, errors=ERRORS, write=True, tags=TAGS)
def resume(instance_id: int, json: Reason) -> Any:
    """Resume a suspended instance"""
    return jsonify(write(lambda s: control.resume(s, me(s), instance_id, json.reason)))


@bp.post("/process-instances/<int:instance_id>/close-stage")
@declare(body=StageClosing, ok=Controlled, errors=ERRORS, write=True, tags=TAGS)
def close_stage(instance_id: int, json: StageClosing) -> Any:
    """Close a stage early: its participants who have not acted are withdrawn, the process moves on"""
    return jsonify(write(lambda s: closing.close_stage(s, me(s), instance_id, json.stage, json.reason)))


@bp.post("/definitions/<key>/migrate")
@declare(body=MigrationRequest, ok=MigrationReport, errors=ERRORS, write=True, tags=TAGS)
def migrate(key: str, json: MigrationRequest) -> Any:
    """Move running instances to another version of their process (``dry_run``: list what would move)"""
    return jsonify(write(lambda s: migration.migrate(s, me(s), key, to_version=json.to_version,
                                                     instance_ids=json.instances, dry_run=json.dry_run)))
