"""Campaign and quarterly-selection routes: launch, progress, boards, objections."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, jsonify
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from inbox import instance_views
from server import spreadsheets
from server.access import check_may_view_unit
from server.api.contract import declare
from server.api.schemas.campaign import (
    BasisQuery,
    Board,
    Campaign,
    CampaignLaunch,
    CampaignPlan,
    CampaignProgress,
    CampaignQuery,
    Launched,
    MemberBasis,
    Objection,
    ObjectionRecorded,
    Selection,
    SelectionRule,
    SelectionRuleBody,
    SelectionStart,
    SelectionStarted,
)
from server.api.schemas.common import Binary
from server.bridges import judgement
from server.campaign import board as campaign_board
from server.campaign import quota, selection, selection_views
from server.campaign.plan import CAMPAIGN
from server.org.tree import unit_by_ref
from server.requests import me, read, write
from server.workflow import instances

bp = Blueprint("campaign", __name__)
TAGS = ("campaign",)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.post("/campaigns")
@declare(body=CampaignPlan, ok=Launched, status=202, errors=(403, 404, 422), write=True, tags=TAGS)
def launch_campaign(json: CampaignPlan) -> Any:
    """Launch a vanguard campaign (org_admin): 202, branches are created in the background

    Follow ``launch.url`` (also the ``Location`` header) for the fan-out's progress.
    """
    body = json.model_dump(exclude_unset=True)
    unit = body.pop("org_unit")

    def start(session: Session) -> dict[str, Any]:
        instance = instances.start_instance(session, process_key=CAMPAIGN, org_unit=unit, data=body,
                                            actor=me(session))
        launch = campaign_board.latest_launch(session, instance.id)
        assert launch is not None
        return {"campaign": instance_views.instance_dict(session, instance),
                "launch": campaign_board.launch_dict(launch)}

    result = write(start)
    return jsonify(result), 202, {"Location": result["launch"]["url"]}


@bp.get("/campaigns/<int:campaign_id>")
@declare(ok=Campaign, errors=(403, 404), tags=TAGS)
def get_campaign(campaign_id: int) -> Any:
    """A campaign's plan, branch count and launch"""
    return jsonify(read(lambda s: campaign_board.campaign_dict(s, me(s), campaign_id)))


@bp.get("/campaign-launches/<int:launch_id>")
@declare(ok=CampaignLaunch, errors=(403, 404), tags=TAGS)
def get_launch(launch_id: int) -> Any:
    """Progress of a campaign's fan-out to its branches"""
    return jsonify(read(lambda s: campaign_board.get_launch(s, me(s), launch_id)))


@bp.get("/org-units/<unit_ref>/campaign-progress")
@declare(query=CampaignQuery, ok=CampaignProgress, errors=(403, 404), tags=TAGS)
def campaign_progress(unit_ref: str, query: CampaignQuery) -> Any:
    """Stage and pledge/appraisal counts of a unit and its children (more levels if few), summed over subtrees"""
    campaign_id = query.campaign
    return jsonify(read(lambda s: campaign_board.campaign_progress(s, me(s), unit_by_ref(s, unit_ref), campaign_id)))


@bp.get("/org-units/<unit_ref>/board")
@declare(query=CampaignQuery, ok=Board, errors=(403, 404), tags=TAGS)
def unit_board(unit_ref: str, query: CampaignQuery) -> Any:
    """The unit's public board: approved pledges, leader review, appraisal results, commendations, notices"""
    campaign_id = query.campaign
    return jsonify(read(lambda s: campaign_board.board(s, me(s), unit_by_ref(s, unit_ref), campaign_id)))


@bp.get("/org-units/<unit_ref>/member-basis")
@declare(query=BasisQuery, ok=MemberBasis, errors=(403, 404, 422), tags=TAGS)
def member_basis(unit_ref: str, query: BasisQuery) -> Any:
    """重要依据 for raters and the commendation: each member's excellent selections, pledge fulfilment
    (late ones counted) and talk rectification (counts only), for anyone in the branch or above"""
    return jsonify(read(lambda s: judgement.member_basis(s, me(s), unit_by_ref(s, unit_ref), query.year)))


@bp.post("/selections")
@declare(body=SelectionStart, ok=SelectionStarted, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def start_selection(json: SelectionStart) -> Any:
    """Start a branch's quarterly excellent-member selection by hand (secretary or org_admin)"""

    def start(session: Session) -> dict[str, Any]:
        person = me(session)
        instance = selection.start_selection(session, unit_by_ref(session, json.org_unit), quarter=json.quarter,
                                             notice_days=json.notice_days, actor=person)
        return {"instance": instance_views.instance_dict(session, instance),
                "selection": selection_views.selection_dict(session, person, instance.id)}

    return jsonify(write(start)), 201


@bp.get("/selections/<int:instance_id>")
@declare(ok=Selection, errors=(403, 404), tags=TAGS)
def get_selection(instance_id: int) -> Any:
    """A selection round: quota, candidates, my feedback (managers: evaluations, objections, feedback)"""
    return jsonify(read(lambda s: selection_views.selection_dict(s, me(s), instance_id)))


@bp.post("/selections/<int:instance_id>/objections")
@declare(body=Objection, ok=ObjectionRecorded, status=201, errors=(403, 404, 409, 422), write=True, tags=TAGS)
def object_to_candidate(instance_id: int, json: Objection) -> Any:
    """Object to a candidate under public notice (members and masses representatives of the branch)"""

    def post(session: Session) -> dict[str, Any]:
        return selection.raise_objection(session, me(session), instance_id, json.candidate, json.reason)

    return jsonify(write(post)), 201


@bp.get("/org-units/<unit_ref>/selection-rule")
@declare(ok=SelectionRule, errors=(403, 404), tags=TAGS)
def get_selection_rule(unit_ref: str) -> Any:
    """The selection quota rule that applies to a unit's branches (anyone in the unit or above)"""

    def get(session: Session) -> dict[str, Any]:
        unit, person = unit_by_ref(session, unit_ref), me(session)
        check_may_view_unit(session, person, unit)
        return quota.rule_dict(session, unit, person)

    return jsonify(read(get))


@bp.put("/org-units/<unit_ref>/selection-rule")
@declare(body=SelectionRuleBody, ok=SelectionRule, errors=(403, 404, 422), write=True, tags=TAGS)
def put_selection_rule(unit_ref: str, json: SelectionRuleBody) -> Any:
    """Set the quota rule of the branches under a unit (org_admin at or above, secretary of a unit above branches)"""
    return jsonify(write(lambda s: quota.set_rule(s, me(s), unit_by_ref(s, unit_ref), json.percent,
                                                  json.small_branch, json.note)))


# -- the dashboard's export ------------------------------------------------------------------------

def _progress_xlsx(progress: dict[str, Any]) -> bytes:
    """The dashboard's table as a workbook: one row per unit, indented by depth, the same columns."""
    labels = {s["code"]: s["label"] for s in progress["stages"]}
    columns = [("members", _("Members")), ("pledged", _("Pledged")), ("approved", _("Approved")),
               ("fulfilled", _("Fulfilled")), ("rated", _("Fulfilment rated")), ("appraised", _("Appraised")),
               ("overdue_pledges", _("Overdue pledges")), ("overdue_tasks", _("Overdue tasks"))]
    rows: list[list[Any]] = []
    for row in progress["units"]:
        run = row["run"]
        if run:
            stage = labels.get("completed") if run["state"] == "completed" else (run["stage_label"] or run["stage"])
        else:
            stage = "，".join(f"{labels.get(code, code)} {n}" for code, n in row["stages"].items())
        rows.append([row["unit"]["name"], stage or "", row["branches"], row["completed"],
                     *[row[key] for key, _t in columns]])
    return spreadsheets.streamed_workbook(spreadsheets.Sheet(
        title=_("Campaign progress"),
        caption=[progress["campaign"].get("title") or "", progress["unit"]["name"]],
        header=[_("Unit"), _("Stage"), _("Branches"), _("Branches completed"), *[title for _k, title in columns]],
        rows=rows, indents=[row["depth"] * 2 for row in progress["units"]], widths=[28, 24], freeze="B3"))


@bp.get("/org-units/<unit_ref>/campaign-progress.xlsx")
@declare(query=CampaignQuery, ok=Binary, errors=(403, 404), ok_media=XLSX, tags=TAGS)
def campaign_progress_xlsx(unit_ref: str, query: CampaignQuery) -> Any:
    """The stage dashboard's table (campaign progress of the unit and every unit below it) as an xlsx workbook"""
    campaign_id = query.campaign
    progress = read(lambda s: campaign_board.campaign_progress(s, me(s), unit_by_ref(s, unit_ref), campaign_id,
                                                               whole_tree=True))
    name = f"campaign-progress-{progress['unit']['code']}.xlsx"
    cn_name = quote(f"{progress['unit']['name']}-进度.xlsx")
    return Response(_progress_xlsx(progress), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{cn_name}"})
