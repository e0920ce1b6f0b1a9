from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox import instance_views
from server import audit
from server.access import visible_unit_filter
from server.api import api_bp, int_arg, json_body
from server.errors import BadRequest
from server.org.models import OrgUnit
from server.requests import me, read, write
from server.workflow import instances
from server.workflow.models import InstanceComment, ProcessDefinition, ProcessInstance


@api_bp.post("/process-instances")
def start_instance() -> Any:
    body = json_body()
    key, unit, data = body.get("process_key"), body.get("org_unit"), body.get("data", {})
    problems = []
    if not isinstance(key, str) or not key:
        problems.append({"field": "process_key", "message": "required"})
    if not isinstance(unit, (int, str)) or unit == "":
        problems.append({"field": "org_unit", "message": "required (id or code)"})
    if not isinstance(data, dict):
        problems.append({"field": "data", "message": "must be an object"})
    if problems:
        raise BadRequest("cannot start: " + ", ".join(p["field"] for p in problems), problems)

    process_key, org_unit = str(key), unit if isinstance(unit, int) else str(unit)

    def start(session: Session) -> dict[str, Any]:
        instance = instances.start_instance(
            session, process_key=process_key, org_unit=org_unit, data=data, actor=me(session)
        )
        return instance_views.instance_dict(session, instance, full=True)

    return jsonify(write(start)), 201


@api_bp.get("/process-instances")
def list_instances() -> Any:
    limit = int_arg("limit", 50, 1, 500)
    offset = int_arg("offset", 0, 0, 10**9)
    state = request.args.get("state")
    if state not in (None, "running", "completed"):
        raise BadRequest("state must be running or completed", [{"field": "state", "message": "unknown"}])

    def query(session: Session) -> dict[str, Any]:
        person = me(session)
        stmt = (
            select(ProcessInstance)
            .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
            .where(visible_unit_filter(session, person.id, overseers_only=True))
        )
        if state:
            stmt = stmt.where(ProcessInstance.state == state)
        if request.args.get("process"):
            stmt = stmt.join(ProcessDefinition).where(ProcessDefinition.key == request.args["process"])
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)).all()
        return {"items": [instance_views.instance_dict(session, i) for i in rows], "total": total}

    return jsonify(read(query))


@api_bp.get("/process-instances/<int:instance_id>")
def get_instance(instance_id: int) -> Any:
    def fetch(session: Session) -> dict[str, Any]:
        instance = instance_views.get_visible_instance(session, instance_id, me(session))
        return instance_views.instance_dict(session, instance, full=True)

    return jsonify(read(fetch))


def _comment_dict(comment: InstanceComment) -> dict[str, Any]:
    return {"id": comment.id, "instance_id": comment.instance_id, "body": comment.body,
            "author": comment.author.username, "author_name": comment.author.display_name,
            "created_at": comment.created_at.isoformat()}


@api_bp.get("/process-instances/<int:instance_id>/comments")
def list_comments(instance_id: int) -> Any:
    def fetch(session: Session) -> dict[str, Any]:
        instance_views.get_visible_instance(session, instance_id, me(session))
        rows = session.scalars(select(InstanceComment).where(InstanceComment.instance_id == instance_id)
                               .order_by(InstanceComment.id)).all()
        return {"items": [_comment_dict(c) for c in rows]}

    return jsonify(read(fetch))


@api_bp.post("/process-instances/<int:instance_id>/comments")
def add_comment(instance_id: int) -> Any:
    text = json_body().get("body")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("'body' (the comment) is required", [{"field": "body", "message": "required"}])
    if len(text) > 2000:
        raise BadRequest("a comment is at most 2000 characters", [{"field": "body", "message": "too long"}])

    def post(session: Session) -> dict[str, Any]:
        person = me(session)
        instance_views.get_visible_instance(session, instance_id, person)
        comment = InstanceComment(instance_id=instance_id, author_id=person.id, body=text.strip())
        session.add(comment)
        session.flush()
        audit.record(session, "instance.comment", actor=person, instance_id=instance_id, comment_id=comment.id)
        session.refresh(comment)
        return _comment_dict(comment)

    return jsonify(write(post)), 201
