"""The organisation kept in the product (issue 15, docs/org.md): units, people, positions,
appointments, transfers, deactivation and the roster workbook. Every write is an ``org_admin``'s,
over the unit or the person concerned; each is one transaction, audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify, request

from server.api.contract import declare
from server.api.schemas.common import Binary
from server.api.schemas.org import (
    ROSTER_UPLOAD,
    XLSX,
    Appointed,
    Appointment,
    Deactivation,
    Dissolution,
    Holders,
    HoldersQuery,
    ImpactReport,
    LetGo,
    Merger,
    NewOrgUnit,
    NewPerson,
    NewPosition,
    OrgUnitChange,
    OrgUnitList,
    OrgUnitQuery,
    OrgUnitRecord,
    PersonChange,
    PersonRecord,
    PositionEnd,
    PositionRecord,
    RosterReport,
    Transfer,
)
from server.errors import BadRequest, Invalid
from server.orgadmin import dissolving, moves, positions, roster, units
from server.requests import me, read, write

bp = Blueprint("org", __name__)
TAGS = ("organisation",)
WRITES = (403, 404, 422)


@bp.get("/org-units")
@declare(query=OrgUnitQuery, ok=OrgUnitList, errors=(403,), tags=TAGS)
def list_units(query: OrgUnitQuery) -> Any:
    """The units I administer, in tree order (org_admin)"""
    return jsonify({"items": read(lambda s: units.list_units(s, me(s), bool(query.include_dissolved)))})


@bp.post("/org-units")
@declare(body=NewOrgUnit, ok=OrgUnitRecord, status=201, errors=WRITES, write=True, tags=TAGS)
def create_unit(json: NewOrgUnit) -> Any:
    """Create a unit under a parent of a fitting type"""
    return jsonify(write(lambda s: units.create_unit(s, me(s), json.code, json.name, json.type, json.parent))), 201


@bp.patch("/org-units/<unit_ref>")
@declare(body=OrgUnitChange, ok=OrgUnitRecord, errors=WRITES, write=True, tags=TAGS)
def change_unit(unit_ref: str, json: OrgUnitChange) -> Any:
    """Rename a unit or move it (with its subtree) under another parent"""
    return jsonify(write(lambda s: units.update_unit(s, me(s), unit_ref, name=json.name, code=json.code,
                                                     parent_ref=json.parent, reason=json.reason)))


@bp.post("/org-units/<unit_ref>/dissolve")
@declare(body=Dissolution, ok=ImpactReport, errors=WRITES, write=True, tags=TAGS)
def dissolve(unit_ref: str, json: Dissolution) -> Any:
    """Dissolve a unit; refused (409, with the report) while processes, tasks, units or people are in it"""
    return jsonify(write(lambda s: dissolving.dissolve(s, me(s), unit_ref, json.reason, json.dry_run)))


@bp.post("/org-units/<unit_ref>/merge")
@declare(body=Merger, ok=ImpactReport, errors=WRITES, write=True, tags=TAGS)
def merge(unit_ref: str, json: Merger) -> Any:
    """Merge a unit into another of its type: its units and members move, its leadership ends"""
    return jsonify(write(lambda s: dissolving.merge(s, me(s), unit_ref, json.into, json.reason, json.dry_run)))


@bp.post("/org-units/<unit_ref>/appointments")
@declare(body=Appointment, ok=Appointed, status=201, errors=WRITES, write=True, tags=TAGS)
def appoint(unit_ref: str, json: Appointment) -> Any:
    """Appoint the holder of a role (a new secretary): the current holders' appointments end the day before"""
    return jsonify(write(lambda s: positions.appoint(s, me(s), unit_ref, json.person, json.role, json.start,
                                                     json.reason))), 201


@bp.get("/org-units/<unit_ref>/holders")
@declare(query=HoldersQuery, ok=Holders, errors=(403, 404, 422), tags=TAGS)
def holders(unit_ref: str, query: HoldersQuery) -> Any:
    """Who held a role in the unit on a given day"""
    return jsonify(read(lambda s: positions.holders_on(s, me(s), unit_ref, query.role, query.on)))


@bp.post("/people")
@declare(body=NewPerson, ok=PersonRecord, status=201, errors=WRITES, write=True, tags=TAGS)
def create_person(json: NewPerson) -> Any:
    """Add a person holding a role in a unit; the first password comes from an administrator's reset"""
    return jsonify(write(lambda s: positions.create_person(s, me(s), json.username, json.display_name, json.email,
                                                           json.org_unit, json.role, json.start))), 201


@bp.get("/people/<username>")
@declare(ok=PersonRecord, errors=(403, 404), tags=TAGS)
def get_person(username: str) -> Any:
    """A person with every position held, past ones included"""
    return jsonify(read(lambda s: positions.get_person(s, me(s), username)))


@bp.patch("/people/<username>")
@declare(body=PersonChange, ok=PersonRecord, errors=WRITES, write=True, tags=TAGS)
def change_person(username: str, json: PersonChange) -> Any:
    """Change a person's name or e-mail"""
    return jsonify(write(lambda s: positions.update_person(s, me(s), username, json.display_name, json.email)))


@bp.post("/positions")
@declare(body=NewPosition, ok=PositionRecord, status=201, errors=WRITES, write=True, tags=TAGS)
def add_position(json: NewPosition) -> Any:
    """A person holds a role in a unit from start to end"""
    return jsonify(write(lambda s: positions.add_position(s, me(s), json.person, json.org_unit, json.role,
                                                          json.start, json.end, json.reason))), 201


@bp.patch("/positions/<int:position_id>")
@declare(body=PositionEnd, ok=PositionRecord, errors=WRITES, write=True, tags=TAGS)
def end_position(position_id: int, json: PositionEnd) -> Any:
    """End a position (its last day); tasks its holder claimed through it go back to the pool"""
    end = json.end
    if end is None:
        raise Invalid("'end' (the last day, YYYY-MM-DD) is required", [{"field": "end", "message": "required"}])
    return jsonify(write(lambda s: positions.end_position(s, me(s), position_id, end, json.reason)))


@bp.post("/people/<username>/transfer")
@declare(body=Transfer, ok=LetGo, errors=WRITES, write=True, tags=TAGS)
def transfer(username: str, json: Transfer) -> Any:
    """Transfer a member to another branch: running work in the old one stops waiting for him"""
    return jsonify(write(lambda s: moves.transfer(s, me(s), username, json.to_unit, json.reason)))


@bp.post("/people/<username>/deactivate")
@declare(body=Deactivation, ok=LetGo, errors=WRITES, write=True, tags=TAGS)
def deactivate(username: str, json: Deactivation) -> Any:
    """Deactivate a person (leaving, death, suspension): positions end, work lets go, no more login"""
    return jsonify(write(lambda s: moves.deactivate(s, me(s), username, json.reason)))


def _download(content: bytes, name: str, cn_name: str) -> Response:
    return Response(content, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(cn_name)}"})


@bp.get("/people/template.xlsx")
@declare(ok=Binary, errors=(403,), ok_media=XLSX, tags=TAGS)
def roster_template() -> Any:
    """The roster workbook to fill in (Chinese headers)"""
    read(lambda s: roster.check_any_admin(s, me(s)))
    return _download(roster.template(), "roster-template.xlsx", "花名册模板.xlsx")


@bp.get("/people/export.xlsx")
@declare(ok=Binary, errors=(403,), ok_media=XLSX, tags=TAGS)
def roster_export() -> Any:
    """The people of the units I administer, in the roster's format"""
    return _download(read(lambda s: roster.export(s, me(s))), "roster.xlsx", "花名册.xlsx")


@bp.post("/people/import")
@declare(ok=RosterReport, errors=(403, 422), write=True, request_media=ROSTER_UPLOAD, tags=TAGS)
def roster_import() -> Any:
    """Import a roster workbook: a dry run (the default) reports every problem by row and column"""
    read(lambda s: roster.check_any_admin(s, me(s)))
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("send the roster as the multipart field 'file'", [{"field": "file", "message": "required"}])
    flag = (request.form.get("dry_run") or "true").lower()
    if flag not in ("true", "false", "1", "0"):
        raise BadRequest("'dry_run' must be true or false", [{"field": "dry_run", "message": "not a boolean"}])
    report = roster.Report()
    rows = roster.parse(upload.read(), report)
    return jsonify(write(lambda s: roster.apply(s, rows, report, actor=me(s), dry_run=flag in ("true", "1"))))
