"""Campaign and quarterly-selection routes: launch, progress, boards, objections."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.orm import Session

from inbox import instance_views
from server.api import api_bp, json_body
from server.api.openapi import SPEC
from server.campaign import board as campaign_board
from server.campaign import selection, selection_views
from server.campaign.plan import CAMPAIGN, STAGES
from server.errors import BadRequest
from server.org.tree import unit_by_ref
from server.requests import me, read, write
from server.workflow import instances


def _campaign_arg() -> int | None:
    raw = request.args.get("campaign")
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise BadRequest("'campaign' must be the id of a vanguard_campaign instance",
                         [{"field": "campaign", "message": "not an id"}])
    return int(raw)


@api_bp.post("/campaigns")
def launch_campaign() -> Any:
    body = json_body()
    unit = body.pop("org_unit", None)
    if not isinstance(unit, (int, str)) or unit == "":
        raise BadRequest("cannot launch: org_unit is required (id or code)",
                         [{"field": "org_unit", "message": "required (id or code)"}])

    def start(session: Session) -> dict[str, Any]:
        instance = instances.start_instance(session, process_key=CAMPAIGN, org_unit=unit, data=body,
                                            actor=me(session))
        launch = campaign_board.latest_launch(session, instance.id)
        assert launch is not None
        return {"campaign": instance_views.instance_dict(session, instance),
                "launch": campaign_board.launch_dict(launch)}

    result = write(start)
    return jsonify(result), 202, {"Location": result["launch"]["url"]}


@api_bp.get("/campaigns/<int:campaign_id>")
def get_campaign(campaign_id: int) -> Any:
    return jsonify(read(lambda s: campaign_board.campaign_dict(s, me(s), campaign_id)))


@api_bp.get("/campaign-launches/<int:launch_id>")
def get_launch(launch_id: int) -> Any:
    return jsonify(read(lambda s: campaign_board.get_launch(s, me(s), launch_id)))


@api_bp.get("/org-units/<unit_ref>/campaign-progress")
def campaign_progress(unit_ref: str) -> Any:
    campaign_id = _campaign_arg()
    return jsonify(read(lambda s: campaign_board.campaign_progress(s, me(s), unit_by_ref(s, unit_ref), campaign_id)))


@api_bp.get("/org-units/<unit_ref>/board")
def unit_board(unit_ref: str) -> Any:
    campaign_id = _campaign_arg()
    return jsonify(read(lambda s: campaign_board.board(s, me(s), unit_by_ref(s, unit_ref), campaign_id)))


@api_bp.post("/selections")
def start_selection() -> Any:
    body = json_body()
    unit = body.get("org_unit")
    if not isinstance(unit, (int, str)) or unit == "":
        raise BadRequest("cannot start: org_unit is required (id or code)",
                         [{"field": "org_unit", "message": "required (id or code)"}])

    def start(session: Session) -> dict[str, Any]:
        person = me(session)
        instance = selection.start_selection(session, unit_by_ref(session, unit), quarter=body.get("quarter"),
                                             notice_days=body.get("notice_days"), actor=person)
        return {"instance": instance_views.instance_dict(session, instance),
                "selection": selection_views.selection_dict(session, person, instance.id)}

    return jsonify(write(start)), 201


@api_bp.get("/selections/<int:instance_id>")
def get_selection(instance_id: int) -> Any:
    return jsonify(read(lambda s: selection_views.selection_dict(s, me(s), instance_id)))


@api_bp.post("/selections/<int:instance_id>/objections")
def object_to_candidate(instance_id: int) -> Any:
    body = json_body()
    candidate, reason = body.get("candidate"), body.get("reason")
    if not isinstance(candidate, str) or not candidate:
        raise BadRequest("'candidate' (a username) is required", [{"field": "candidate", "message": "required"}])

    def post(session: Session) -> dict[str, Any]:
        return selection.raise_objection(session, me(session), instance_id, candidate, reason)

    return jsonify(write(post)), 201


# -- OpenAPI ---------------------------------------------------------------------------------------

_ERR = {"$ref": "#/components/responses/Error"}
_ERRS = {code: _ERR for code in ("400", "401", "403", "404", "409", "422")}


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ok(schema: Any, code: str = "200", desc: str = "OK") -> dict[str, Any]:
    return {code: {"description": desc, "content": _json(schema)}}


def _op(summary: str, responses: dict[str, Any], *, body: Any = None,
        params: list[Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": ["campaign"], "responses": {**responses, **_ERRS}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(body)}
    if params:
        op["parameters"] = params
    return op


def _path(name: str, schema: Any | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "integer"}}


_UNIT = _path("unit_ref", {"type": "string"})
_UNIT["description"] = "org unit id or code"
_CAMPAIGN_Q = {"name": "campaign", "in": "query", "required": False, "schema": {"type": "integer"},
               "description": "vanguard_campaign instance id (default: the latest campaign reaching the unit)"}
_REF = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
_DATE = {"type": "string", "format": "date"}

SPEC["components"]["schemas"].update({
    "CampaignPlan": {"type": "object", "required": ["org_unit", "theme", "carrier", "timetable"], "properties": {
        "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "district or party committee"},
        "title": {"type": "string"}, "theme": {"type": "string"}, "carrier": {"type": "string"},
        "timetable": {"type": "object", "description": "last day of each stage, non-decreasing",
                      "properties": {s: _DATE for s in STAGES}},
        "target_unit_types": {"type": "array", "items": {"type": "string"}, "default": ["branch"]}}},
    "CampaignLaunch": {"type": "object", "properties": {
        "id": {"type": "integer"}, "campaign_id": {"type": "integer"},
        "state": {"enum": ["pending", "running", "done", "failed"]}, "done": {"type": "boolean"},
        "total": {"type": "integer"}, "created": {"type": "integer"}, "percent": {"type": "integer"},
        "batches": {"type": "integer"}, "error": {"type": "string", "nullable": True}, "url": {"type": "string"}}},
    "Campaign": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "theme": {"type": "string"},
        "carrier": {"type": "string"}, "timetable": {"type": "object"}, "branches": {"type": "integer"},
        "stages": {"type": "array", "items": {"type": "object"}}, "launch": _REF("CampaignLaunch")}},
    "CampaignProgress": {"type": "object", "properties": {
        "campaign": {"type": "object"}, "unit": _REF("OrgUnit"),
        "stages": {"type": "array", "items": {"type": "object"}},
        "units": {"type": "array", "items": {"type": "object", "properties": {
            "unit": _REF("OrgUnit"), "parent_id": {"type": "integer", "nullable": True}, "depth": {"type": "integer"},
            "run": {"type": "object", "nullable": True, "description": "this unit's own branch run"},
            "branches": {"type": "integer"}, "completed": {"type": "integer"},
            "stages": {"type": "object", "description": "branch runs per stage code in the subtree"},
            **{k: {"type": "integer"} for k in campaign_board.COUNTS}}}}}},
    "Board": {"type": "object", "properties": {
        "org_unit": _REF("OrgUnit"), "campaign": {"type": "object", "nullable": True},
        "branch": {"type": "object", "nullable": True},
        "pledges": {"type": "array", "items": {"type": "object"}, "description": "approved pledges only"},
        "leader_review": {"type": "object", "nullable": True},
        "appraisal": {"type": "object", "nullable": True, "description": "published results per member"},
        "commendations": {"type": "array", "items": {"type": "object"}},
        "selections": {"type": "array", "items": {"type": "object"},
                       "description": "candidates under notice (with objections_url) and confirmed rounds"}}},
    "Selection": {"type": "object", "properties": {
        "instance_id": {"type": "integer"}, "quarter": {"type": "string"}, "quota": {"type": "integer"},
        "member_count": {"type": "integer"}, "notice_until": {"type": "string", "nullable": True},
        "candidates": {"type": "array", "items": {"type": "object"}},
        "my_feedback": {"type": "object", "nullable": True},
        "evaluations": {"type": "array", "items": {"type": "object"}, "description": "managers only"},
        "objections": {"type": "array", "items": {"type": "object"}, "description": "managers only"},
        "feedback": {"type": "array", "items": {"type": "object"}, "description": "managers only"}}},
})

SPEC["paths"].update({
    "/api/campaigns": {"post": _op(
        "Launch a vanguard campaign (org_admin): 202, branches are created in the background",
        _ok({"type": "object", "properties": {"campaign": _REF("Instance"), "launch": _REF("CampaignLaunch")}},
            "202", "accepted; follow launch.url"),
        body=_REF("CampaignPlan"))},
    "/api/campaigns/{campaign_id}": {"get": _op(
        "A campaign's plan, branch count and launch", _ok(_REF("Campaign")), params=[_path("campaign_id")])},
    "/api/campaign-launches/{launch_id}": {"get": _op(
        "Progress of a campaign's fan-out to its branches", _ok(_REF("CampaignLaunch")), params=[_path("launch_id")])},
    "/api/org-units/{unit_ref}/campaign-progress": {"get": _op(
        "Stage and pledge/appraisal counts of a unit and every unit below it, rolled up",
        _ok(_REF("CampaignProgress")), params=[_UNIT, _CAMPAIGN_Q])},
    "/api/org-units/{unit_ref}/board": {"get": _op(
        "The unit's public board: approved pledges, leader review, appraisal results, commendations, notices",
        _ok(_REF("Board")), params=[_UNIT, _CAMPAIGN_Q])},
    "/api/selections": {"post": _op(
        "Start a branch's quarterly excellent-member selection by hand (secretary or org_admin)",
        _ok({"type": "object", "properties": {"instance": _REF("Instance"), "selection": _REF("Selection")}},
            "201", "started"),
        body={"type": "object", "required": ["org_unit"], "properties": {
            "org_unit": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
            "quarter": {"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"},
            "notice_days": {"type": "integer", "minimum": 1, "maximum": 30, "default": 5}}})},
    "/api/selections/{instance_id}": {"get": _op(
        "A selection round: quota, candidates, my feedback (managers: evaluations, objections, feedback)",
        _ok(_REF("Selection")), params=[_path("instance_id")])},
    "/api/selections/{instance_id}/objections": {"post": _op(
        "Object to a candidate under public notice (members and masses representatives of the branch)",
        _ok({"type": "object"}, "201", "recorded"), params=[_path("instance_id")],
        body={"type": "object", "required": ["candidate", "reason"], "properties": {
            "candidate": {"type": "string", "description": "username"}, "reason": {"type": "string"}}})},
})


# -- the dashboard's export ------------------------------------------------------------------------

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _progress_xlsx(progress: dict[str, Any]) -> bytes:
    """The dashboard's table as a workbook: one row per unit, indented by depth, the same columns."""
    from io import BytesIO

    from flask_babel import gettext as _
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    labels = {s["code"]: s["label"] for s in progress["stages"]}
    columns = [("members", _("Members")), ("pledged", _("Pledged")), ("approved", _("Approved")),
               ("fulfilled", _("Fulfilled")), ("rated", _("Fulfilment rated")), ("appraised", _("Appraised")),
               ("overdue_pledges", _("Overdue pledges")), ("overdue_tasks", _("Overdue tasks"))]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Campaign progress")[:31]
    campaign = progress["campaign"]
    sheet.append([campaign.get("title") or "", progress["unit"]["name"]])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Unit"), _("Stage"), _("Branches"), _("Branches completed"), *[title for _k, title in columns]])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in progress["units"]:
        run = row["run"]
        if run:
            stage = labels.get("completed") if run["state"] == "completed" else (run["stage_label"] or run["stage"])
        else:
            stage = "，".join(f"{labels.get(code, code)} {n}" for code, n in row["stages"].items())
        sheet.append([row["unit"]["name"], stage or "", row["branches"], row["completed"],
                      *[row[key] for key, _t in columns]])
        sheet.cell(sheet.max_row, 1).alignment = Alignment(indent=row["depth"] * 2)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 24
    sheet.freeze_panes = "B3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@api_bp.get("/org-units/<unit_ref>/campaign-progress.xlsx")
def campaign_progress_xlsx(unit_ref: str) -> Any:
    from urllib.parse import quote

    campaign_id = _campaign_arg()
    progress = read(lambda s: campaign_board.campaign_progress(s, me(s), unit_by_ref(s, unit_ref), campaign_id))
    name = f"campaign-progress-{progress['unit']['code']}.xlsx"
    cn_name = quote(f"{progress['unit']['name']}-进度.xlsx")
    return Response(_progress_xlsx(progress), mimetype=_XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{cn_name}"})


SPEC["paths"]["/api/org-units/{unit_ref}/campaign-progress.xlsx"] = {"get": _op(
    "The stage dashboard's table (campaign progress of the unit and every unit below it) as an xlsx workbook",
    {"200": {"description": "the workbook", "content": {_XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
    params=[_UNIT, _CAMPAIGN_Q])}
