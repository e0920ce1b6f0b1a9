from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.api.contract import declare
from server.api.schemas.common import Binary
from server.api.schemas.definitions import (
    UPLOAD,
    Definition,
    DefinitionDiff,
    DefinitionList,
    Deployed,
    DiffQuery,
    FormList,
    Validation,
)
from server.errors import BadRequest, Forbidden, Invalid, NotFound
from server.org.models import Position
from server.org.tree import active_position_filter
from server.requests import me, read, write
from server.workflow import bpmndiff, definitions
from server.workflow.models import ProcessDefinition, ProcessInstance

bp = Blueprint("definitions", __name__)
TAGS = ("definitions",)


def _upload() -> tuple[bytes, str, dict[str, Any], dict[str, bytes]]:
    """The BPMN file (multipart ``file`` or raw XML body) and any form and DMN files sent with it.

    Forms and decisions not sent are taken from ``workflows/``.
    """
    settings = current_app.config["VANGUARD"]
    forms = definitions.load_forms(settings.workflows_dir / "forms")
    dmn = definitions.load_dmn(settings.workflows_dir)
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("send the BPMN file as the multipart field 'file'",
                             [{"field": "file", "message": "required"}])
        content, name = upload.read(), upload.filename or "upload.bpmn"
        for form in request.files.getlist("forms"):
            try:
                forms[form.filename or "form.json"] = json.loads(form.read().decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise Invalid(f"form file '{form.filename}' is not JSON: {exc}",
                              [{"field": "forms", "message": str(exc)}]) from exc
        for decision in request.files.getlist("dmn"):
            dmn[decision.filename or "decision.dmn"] = decision.read()
    else:
        content, name = request.get_data(), request.args.get("name", "upload.bpmn")
    if not content.strip():
        raise BadRequest("the BPMN file is empty", [{"field": "file", "message": "empty"}])
    return content, name, forms, dmn


def _require_designer(session: Session) -> Any:
    person = me(session)
    is_designer = session.scalar(
        select(Position.id).where(Position.person_id == person.id, Position.role == "designer",
                                  active_position_filter()).limit(1)
    )
    if is_designer is None:
        raise Forbidden("only process designers may deploy or validate process definitions")
    return person


@bp.get("/process-definitions")
@declare(ok=DefinitionList, tags=TAGS)
def list_definitions() -> Any:
    """Latest version of every process"""
    items = read(lambda s: [definitions.definition_dict(d) for d in definitions.list_latest(s)])
    return jsonify({"items": items, "total": len(items)})


@bp.post("/process-definitions")
@declare(ok=Deployed, status=201, errors=(403, 422), write=True, request_media=UPLOAD, tags=TAGS)
def deploy_definition() -> Any:
    """Deploy a BPMN file (designers): a new version of each process in it"""
    def deploy(session: Session) -> list[dict[str, Any]]:
        actor = _require_designer(session)
        content, name, forms, dmn = _upload()
        stored = definitions.deploy(session, content, name, forms, actor, dmn=dmn)
        return [definitions.definition_dict(d) for d in stored]

    stored = write(deploy)
    first = stored[0]
    return jsonify({**first, "deployed": stored}), 201


@bp.post("/process-definitions/validate")
@declare(ok=Validation, errors=(403, 422), write=True, request_media=UPLOAD, tags=TAGS)
def validate_definition() -> Any:
    """Validate a BPMN file without deploying it (designers)"""
    read(_require_designer)
    content, name, forms, dmn = _upload()
    parsed = definitions.validate(content, name, forms, dmn)
    return jsonify({"valid": True, "processes": [p.key for p in parsed], "details": []})


@bp.get("/process-definitions/<key>")
@declare(ok=Definition, errors=(404,), tags=TAGS)
def get_definition(key: str) -> Any:
    """A process with all its versions"""
    def versions(session: Session) -> dict[str, Any]:
        rows = session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version)
        ).all()
        if not rows:
            raise NotFound(f"no process definition with key '{key}'")
        counts: dict[int, dict[str, int]] = {}
        for definition_id, state, count in session.execute(
            select(ProcessInstance.definition_id, ProcessInstance.state, func.count(ProcessInstance.id))
            .where(ProcessInstance.definition_id.in_([r.id for r in rows]))
            .group_by(ProcessInstance.definition_id, ProcessInstance.state)
        ):
            counts.setdefault(definition_id, {})[state] = count
        latest = definitions.definition_dict(rows[-1])
        latest["versions"] = [
            {**definitions.definition_dict(r),
             "deployed_by_name": r.deployed_by.display_name if r.deployed_by else None,
             "instances": {"running": counts.get(r.id, {}).get("running", 0),
                           "total": sum(counts.get(r.id, {}).values())}}
            for r in rows
        ]
        latest["forms"] = rows[-1].forms
        return latest

    return jsonify(read(versions))


def _version(session: Session, key: str, version: int) -> ProcessDefinition:
    row = session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    if row is None:
        raise NotFound(f"process '{key}' has no version {version}")
    return row


@bp.get("/process-definitions/<key>/versions/<int:version>/bpmn")
@declare(ok=Binary, errors=(404,), ok_media="application/xml", tags=TAGS)
def get_definition_xml(key: str, version: int) -> Any:
    """Download one version as BPMN XML"""
    def xml(session: Session) -> str:
        return _version(session, key, version).bpmn_xml

    return Response(read(xml), mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{key}-v{version}.bpmn"'})


@bp.get("/process-definitions/<key>/diff")
@declare(query=DiffQuery, ok=DefinitionDiff, errors=(404,), tags=TAGS)
def diff_versions(key: str, query: DiffQuery) -> Any:
    """What changed between two versions, element by element

    From version ``from`` to version ``to`` (default: the one before the latest, the latest).
    """

    def compare(session: Session) -> dict[str, Any]:
        latest = definitions.get_latest(session, key)
        new_version = query.to or latest.version
        old_version = query.from_ or max(new_version - 1, 1)
        old, new = _version(session, key, old_version), _version(session, key, new_version)
        return {"key": key, "from": old.version, "to": new.version, **bpmndiff.diff(old.bpmn_xml, new.bpmn_xml)}

    return jsonify(read(compare))


@bp.get("/forms")
@declare(ok=FormList, tags=TAGS)
def list_forms() -> Any:
    """Form schemas (JSON Schema) of workflows/forms/

    A deployed version carries its own copies.
    """
    settings = current_app.config["VANGUARD"]
    forms = definitions.load_forms(settings.workflows_dir / "forms")
    items = [{"name": name, "title": schema.get("title") if isinstance(schema, dict) else None, "schema": schema}
             for name, schema in forms.items()]
    return jsonify({"items": items, "total": len(items)})
