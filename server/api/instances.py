"""Process instances: start one in an org unit, list mine, look at one, comment on it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox import instance_views
from server import audit
from server.access import visible_unit_filter
from server.api.contract import declare
from server.api.messages import with_localized
from server.api.schemas.instances import (
    Comment,
    CommentList,
    Instance,
    InstanceList,
    InstanceQuery,
    NewComment,
    StartRequest,
)
from server.org.models import OrgUnit
from server.requests import me, read, write
from server.workflow import incidents, instances
from server.workflow.models import InstanceComment, ProcessDefinition, ProcessInstance

bp = Blueprint("instances", __name__)
TAGS = ("instances",)


@bp.post("/process-instances")
@declare(body=StartRequest, ok=Instance, status=201, errors=(403, 404, 422), write=True, tags=TAGS)
def start_instance(json: StartRequest) -> Any:
    """Start a process in an org unit"""

    def start(session: Session) -> dict[str, Any]:
        instance = instances.start_instance(
            session, process_key=json.process_key, org_unit=json.org_unit, data=json.data, actor=me(session)
        )
        return instance_views.instance_dict(session, instance, full=True)

    return jsonify(write(start)), 201


@bp.get("/process-instances")
@declare(query=InstanceQuery, ok=InstanceList, tags=TAGS)
def list_instances(query: InstanceQuery) -> Any:
    """Instances in my units"""

    def listing(session: Session) -> dict[str, Any]:
        person = me(session)
        stmt = (
            select(ProcessInstance)
            .join(OrgUnit, OrgUnit.id == ProcessInstance.org_unit_id)
            .where(visible_unit_filter(session, person.id, overseers_only=True))
        )
        if query.state:
            stmt = stmt.where(ProcessInstance.state == query.state)
        if query.process:
            stmt = stmt.join(ProcessDefinition).where(ProcessDefinition.key == query.process)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(ProcessInstance.id.desc()).limit(query.limit).offset(query.offset)).all()
        return {"items": [instance_views.instance_dict(session, i) for i in rows], "total": total}

    return jsonify(read(listing))


@bp.get("/process-instances/<int:instance_id>")
@declare(ok=Instance, errors=(403, 404), tags=TAGS)
def get_instance(instance_id: int) -> Any:
    """State, stage, open tasks and history of an instance"""

    def fetch(session: Session) -> dict[str, Any]:
        person = me(session)
        instance = instance_views.get_visible_instance(session, instance_id, person)
        result = instance_views.instance_dict(session, instance, full=True)
        if incidents.may_see_incidents(session, person, instance):
            result["incidents"] = with_localized(incidents.of_instance(session, instance.id))
        return result

    return jsonify(read(fetch))


def _comment_dict(comment: InstanceComment) -> dict[str, Any]:
    return {"id": comment.id, "instance_id": comment.instance_id, "body": comment.body,
            "author": comment.author.username, "author_name": comment.author.display_name,
            "created_at": comment.created_at.isoformat()}


@bp.get("/process-instances/<int:instance_id>/comments")
@declare(ok=CommentList, errors=(403, 404), tags=TAGS)
def list_comments(instance_id: int) -> Any:
    """Comments on an instance, oldest first"""

    def fetch(session: Session) -> dict[str, Any]:
        instance_views.get_visible_instance(session, instance_id, me(session))
        rows = session.scalars(select(InstanceComment).where(InstanceComment.instance_id == instance_id)
                               .order_by(InstanceComment.id)).all()
        return {"items": [_comment_dict(c) for c in rows]}

    return jsonify(read(fetch))


@bp.post("/process-instances/<int:instance_id>/comments")
@declare(body=NewComment, ok=Comment, status=201, errors=(403, 404), write=True, tags=TAGS)
def add_comment(instance_id: int, json: NewComment) -> Any:
    """Comment on an instance (whoever may see it); audited"""
    text = json.body.strip()

    def post(session: Session) -> dict[str, Any]:
        person = me(session)
        instance_views.get_visible_instance(session, instance_id, person)
        comment = InstanceComment(instance_id=instance_id, author_id=person.id, body=text)
        session.add(comment)
        session.flush()
        audit.record(session, "instance.comment", actor=person, instance_id=instance_id, comment_id=comment.id)
        session.refresh(comment)
        return _comment_dict(comment)

    return jsonify(write(post)), 201
