"""What the campaign ledgers show: public boards, stage roll-ups, plans and launch progress.

Everything here is plain SQL over the ledger tables, child instances and task
rows: no engine state is read, and the parent campaign instance is never
touched, so a dashboard over a district costs the same whatever its branches
are doing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server import clock
from server.access import check_may_view_unit
from server.campaign import rollup
from server.campaign.absences import absences
from server.campaign.appraisal import appraisal_results
from server.campaign.models import (
    Campaign,
    CampaignBranch,
    CampaignCommendation,
    CampaignLaunch,
    CampaignPledge,
)
from server.campaign.plan import BRANCH, STAGES, fulfilled_late
from server.campaign.reviews import branch_appraisal, branch_pledge_of, circular_of, reviews_of
from server.campaign.selection_views import notice_board, repeatedly_excellent
from server.errors import Forbidden, NotFound
from server.org.models import OrgUnit, Person, Position
from server.org.tree import active_position_filter, unit_dict
from server.workflow.definitions import latest_version
from server.workflow.models import ProcessInstance

COMMENDATION_LABELS = {"branch": "先进基层党组织", "member": "优秀共产党员",
                       "recommend_branch": "推荐上级表彰（党组织）", "recommend_member": "推荐上级表彰（党员）"}
RATING_LABELS = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}
COUNTS = rollup.COUNTS


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist (give the vanguard_campaign instance id)")
    return campaign


def may_view_campaign(session: Session, person: Person, campaign: Campaign) -> bool:
    """Positions in the campaign's unit, above it, or anywhere in its subtree."""
    unit = campaign.org_unit
    found = session.scalar(
        select(Position.id).join(OrgUnit, OrgUnit.id == Position.org_unit_id).where(
            Position.person_id == person.id, active_position_filter(),
            or_(OrgUnit.id.in_(unit.ancestor_ids()), OrgUnit.path.startswith(unit.path)),
        ).limit(1)
    )
    return found is not None


def latest_launch(session: Session, campaign_id: int) -> CampaignLaunch | None:
    return session.scalar(
        select(CampaignLaunch).where(CampaignLaunch.campaign_id == campaign_id)
        .order_by(CampaignLaunch.id.desc()).limit(1)
    )


def launch_dict(launch: CampaignLaunch) -> dict[str, Any]:
    return {
        "id": launch.id,
        "campaign_id": launch.campaign_id,
        "state": launch.state,
        "done": launch.state == "done",
        "total": launch.total,
        "created": launch.created,
        "batches": launch.batches,
        "batch_size": launch.batch_size,
        "percent": round(100 * launch.created / launch.total) if launch.total else 100,
        "error": launch.error,
        "created_at": _iso(launch.created_at),
        "started_at": _iso(launch.started_at),
        "finished_at": _iso(launch.finished_at),
        "url": f"/api/campaign-launches/{launch.id}",
    }


def get_launch(session: Session, person: Person, launch_id: int) -> dict[str, Any]:
    launch = session.get(CampaignLaunch, launch_id)
    if launch is None:
        raise NotFound(f"campaign launch {launch_id} does not exist")
    campaign = get_campaign(session, launch.campaign_id)
    if campaign.launched_by_id != person.id and not may_view_campaign(session, person, campaign):
        raise Forbidden("this campaign is not in any of your units")
    return launch_dict(launch)


def campaign_dict(session: Session, person: Person, campaign_id: int) -> dict[str, Any]:
    campaign = get_campaign(session, campaign_id)
    if not may_view_campaign(session, person, campaign):
        raise Forbidden("this campaign is not in any of your units")
    instance = session.get(ProcessInstance, campaign.instance_id)
    assert instance is not None
    launch = latest_launch(session, campaign.instance_id)
    branch_definition = latest_version(session, BRANCH)
    branches = session.scalar(select(func.count()).where(CampaignBranch.campaign_id == campaign.instance_id))
    return {
        "id": campaign.instance_id,
        "title": campaign.title,
        "theme": campaign.theme,
        "carrier": campaign.carrier,
        "timetable": campaign.timetable,
        "target_unit_types": campaign.target_unit_types,
        "org_unit": unit_dict(campaign.org_unit),
        "state": instance.state,
        "launched_by": instance.started_by.username if instance.started_by else None,
        "created_at": _iso(campaign.created_at),
        "closed_at": _iso(campaign.closed_at),
        "summary": campaign.summary,
        "branches": branches,
        "stages": branch_definition.stages if branch_definition else [{"code": s, "label": s} for s in STAGES],
        "launch": launch_dict(launch) if launch else None,
        "progress_url": f"/api/org-units/{campaign.org_unit_id}/campaign-progress?campaign={campaign.instance_id}",
    }


def default_campaign_id(session: Session, unit: OrgUnit) -> int | None:
    """The latest campaign run at this unit, else the latest launched at or above it."""
    found = session.scalar(
        select(CampaignBranch.campaign_id).where(CampaignBranch.org_unit_id == unit.id)
        .order_by(CampaignBranch.instance_id.desc()).limit(1)
    )
    if found is None:
        found = session.scalar(
            select(Campaign.instance_id).where(Campaign.org_unit_id.in_(unit.ancestor_ids()))
            .order_by(Campaign.instance_id.desc()).limit(1)
        )
    return found


# -- stage tracking ------------------------------------------------------------------------------


def campaign_progress(session: Session, person: Person, unit: OrgUnit, campaign_id: int | None,
                      *, whole_tree: bool = False) -> dict[str, Any]:
    """The unit with its children (and deeper levels while the list stays short): stage and
    counts, each summed over its subtree; ``whole_tree``: every unit below it (the xlsx export).

    A unit with a branch run of its own shows that run's stage; every unit shows how many
    branch runs below it are in each stage, and the sums of members, pledged, approved,
    fulfilled, rated (fulfilment rated), appraised (received appraisal ratings), raters_done,
    overdue_pledges (members whose pledge task is past its due date) and overdue_tasks. The
    sums come from per-branch counters (``server.campaign.rollup``), not from the ledgers.
    """
    check_may_view_unit(session, person, unit)
    if campaign_id is None:
        campaign_id = default_campaign_id(session, unit)
        if campaign_id is None:
            raise NotFound(f"no campaign reaches {unit.name}")
    campaign = get_campaign(session, campaign_id)
    stages = _stage_labels(session)
    if whole_tree:
        units = rollup.tree(session, unit, campaign_id, clock.now(), {s["code"]: s["label"] for s in stages})
    else:
        units = rollup.listing(session, unit, campaign_id, clock.now())
    launch = latest_launch(session, campaign_id)
    return {
        "campaign": {"id": campaign.instance_id, "title": campaign.title, "theme": campaign.theme,
                     "timetable": campaign.timetable,
                     "launch": launch_dict(launch) if launch else None},
        "unit": unit_dict(unit),
        "stages": stages,
        "units": units,
    }


def _stage_labels(session: Session) -> list[dict[str, str]]:
    definition = latest_version(session, BRANCH)
    stages = list(definition.stages) if definition else [{"code": s, "label": s} for s in STAGES]
    return [*stages, {"code": "completed", "label": "已完成", "label_en": "Completed"}]


# -- the public board ------------------------------------------------------------------------------


def board(session: Session, person: Person, unit: OrgUnit, campaign_id: int | None) -> dict[str, Any]:
    check_may_view_unit(session, person, unit)
    return public_board(session, unit, campaign_id)


def public_board(session: Session, unit: OrgUnit, campaign_id: int | None) -> dict[str, Any]:
    """What a unit publishes (for its readers, and for a wall screen without an account)."""
    if campaign_id is None:
        campaign_id = default_campaign_id(session, unit)
    result: dict[str, Any] = {
        "org_unit": unit_dict(unit),
        "campaign": None,
        "branch": None,
        "pledges": [],
        "leader_review": None,
        "appraisal": None,
        "commendations": [],
        "absences": [],
        "selections": notice_board(session, unit) if unit.type == "branch" else [],
        "repeatedly_excellent": repeatedly_excellent(session, unit) if unit.type == "branch" else [],
        "leader_reviews": [],
        "branch_pledge": None,
        "circular": None,
    }
    if campaign_id is None:
        return result
    campaign = get_campaign(session, campaign_id)
    result["campaign"] = {"id": campaign.instance_id, "title": campaign.title, "theme": campaign.theme,
                          "carrier": campaign.carrier, "timetable": campaign.timetable}
    result["leader_reviews"] = reviews_of(session, campaign_id, unit)
    result["circular"] = circular_of(session, campaign_id)
    run = session.scalar(select(CampaignBranch).where(CampaignBranch.campaign_id == campaign_id,
                                                      CampaignBranch.org_unit_id == unit.id))
    if run is not None:
        instance = session.get(ProcessInstance, run.instance_id)
        assert instance is not None
        result["branch"] = {
            "instance_id": run.instance_id, "state": instance.state, "stage": instance.stage,
            "stage_label": instance.stage_label, "theme": run.theme, "carrier": run.carrier,
            "meeting_date": _iso(run.meeting_date), "meeting_place": run.meeting_place,
            "attendance": run.attendance, "members": run.member_count,
        }
        result["pledges"] = _approved_pledges(session, run.instance_id)
        result["branch_pledge"] = branch_pledge_of(session, run.instance_id)
        if run.reviewed_at is not None:
            reviewer = session.get(Person, run.reviewed_by_id) if run.reviewed_by_id else None
            result["leader_review"] = {
                "achievements": run.review_achievements, "problems": run.review_problems,
                "direction": run.review_direction, "member_comments": run.review_member_comments,
                "reviewer": reviewer.display_name if reviewer else None, "reviewed_at": _iso(run.reviewed_at),
            }
        result["absences"] = absences(session, run.instance_id)
        if run.appraisal_published_at is not None:
            result["appraisal"] = {"published_at": _iso(run.appraisal_published_at),
                                   "raters": run.rater_count, "decision": run.appraisal_decision,
                                   "decision_reason": run.appraisal_decision_reason,
                                   "results": appraisal_results(session, run.instance_id),
                                   "organisation": branch_appraisal(session, run.instance_id)}
        elif run.appraisal_decision == "void":
            result["appraisal"] = {"published_at": None, "raters": run.rater_count, "decision": "void",
                                   "decision_reason": run.appraisal_decision_reason, "results": []}
    result["commendations"] = _commendations(session, campaign_id, unit)
    return result


def _approved_pledges(session: Session, branch_instance_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(CampaignPledge).where(CampaignPledge.branch_instance_id == branch_instance_id,
                                     CampaignPledge.approved_at.is_not(None))
        .order_by(CampaignPledge.approved_at, CampaignPledge.id)
    ).all()
    return [
        {
            "member": p.person.username, "name": p.person.display_name, "content": p.content,
            "deadline": p.deadline.isoformat(), "approved_at": _iso(p.approved_at), "state": p.state,
            "fulfilment": {
                "report": p.report, "completed_on": _iso(p.completed_on), "reported_at": _iso(p.reported_at),
                "late": fulfilled_late(p),
                "rating": p.rating, "rating_label": RATING_LABELS.get(p.rating or ""),
                "comment": p.rating_comment,
            } if p.reported_at else None,
        }
        for p in rows
    ]


def _commendations(session: Session, campaign_id: int, unit: OrgUnit) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CampaignCommendation, OrgUnit)
        .join(OrgUnit, OrgUnit.id == CampaignCommendation.org_unit_id)
        .where(CampaignCommendation.campaign_id == campaign_id, OrgUnit.path.startswith(unit.path))
        .order_by(CampaignCommendation.id)
    ).all()
    return [
        {
            "kind": c.kind,
            "kind_label": COMMENDATION_LABELS.get(c.kind, c.kind),
            "org_unit": unit_dict(u),
            "member": c.person.username if c.person else None,
            "name": c.person.display_name if c.person else u.name,
            "citation": c.citation,
            "commended_at": _iso(c.commended_at),
        }
        for c, u in rows
    ]
