"""The roll-up's counters recounted from the base tables, and their repair (issue 20).

``recount`` is the aggregate the roll-up ran on every request before the counters (grouped
queries over a campaign's pledges, ratings and open tasks); the exactness test compares the
counters with it, and ``repair`` rewrites every counter that disagrees (an upgraded database,
a counter written by a release with a bug): ``python -m server repair-rollup``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.models import OPEN, Task
from server.campaign.models import CampaignBranch, CampaignPledge, CampaignRating
from server.campaign.rollup import PLEDGE_TASK, STORED, refresh
from server.campaign.rollup_models import CampaignBranchCount, CampaignBranchDue
from server.workflow.models import ProcessInstance

Counters = dict[int, dict[str, Any]]
"""Per branch run: state, stage, the stored counts and ``dues`` ({due_at: (tasks, pledges)})."""


def recount(session: Session, campaign_id: int | None = None) -> Counters:
    """Every branch run's counters (of one campaign, or all) from the ledgers and task rows."""
    scope = [CampaignBranch.campaign_id == campaign_id] if campaign_id is not None else []
    result: Counters = {}
    for instance_id, members, state, stage in session.execute(
        select(CampaignBranch.instance_id, CampaignBranch.member_count, ProcessInstance.state, ProcessInstance.stage)
        .join(ProcessInstance, ProcessInstance.id == CampaignBranch.instance_id).where(*scope)
    ):
        result[instance_id] = {"state": state, "stage": stage, "members": members,
                               **{k: 0 for k in STORED[1:]}, "dues": {}}
    for instance_id, pledged, approved, fulfilled, rated in session.execute(
        select(CampaignPledge.branch_instance_id, func.count(CampaignPledge.id), func.count(CampaignPledge.approved_at),
               func.count(CampaignPledge.reported_at), func.count(CampaignPledge.rated_at))
        .join(CampaignBranch, CampaignBranch.instance_id == CampaignPledge.branch_instance_id).where(*scope)
        .group_by(CampaignPledge.branch_instance_id)
    ):
        result[instance_id].update(pledged=pledged, approved=approved, fulfilled=fulfilled, rated=rated)
    for instance_id, appraised, raters_done in session.execute(
        select(CampaignRating.branch_instance_id, func.count(func.distinct(CampaignRating.ratee_id)),
               func.count(func.distinct(CampaignRating.rater_id)))
        .join(CampaignBranch, CampaignBranch.instance_id == CampaignRating.branch_instance_id).where(*scope)
        .group_by(CampaignRating.branch_instance_id)
    ):
        result[instance_id].update(appraised=appraised, raters_done=raters_done)
    for instance_id, due_at, element_id, count in session.execute(
        select(Task.instance_id, Task.due_at, Task.element_id, func.count(Task.id))
        .join(CampaignBranch, CampaignBranch.instance_id == Task.instance_id)
        .where(*scope, Task.state == OPEN, Task.due_at.is_not(None))
        .group_by(Task.instance_id, Task.due_at, Task.element_id)
    ):
        dues = result[instance_id]["dues"]
        tasks, pledges = dues.get(due_at, (0, 0))
        dues[due_at] = (tasks + count, pledges + (count if element_id == PLEDGE_TASK else 0))
    return result


def stored(session: Session, campaign_id: int | None = None) -> Counters:
    """The counters as the roll-up reads them, in ``recount``'s shape."""
    scope = [CampaignBranchCount.campaign_id == campaign_id] if campaign_id is not None else []
    result: Counters = {}
    for row in session.execute(select(CampaignBranchCount.branch_instance_id, CampaignBranchCount.state,
                                      CampaignBranchCount.stage, *[getattr(CampaignBranchCount, k) for k in STORED])
                               .where(*scope)):
        instance_id, state, stage, *values = row
        result[instance_id] = {"state": state, "stage": stage, **dict(zip(STORED, values, strict=True)), "dues": {}}
    due_scope = [CampaignBranchDue.campaign_id == campaign_id] if campaign_id is not None else []
    for instance_id, due_at, tasks, pledges in session.execute(
        select(CampaignBranchDue.branch_instance_id, CampaignBranchDue.due_at, CampaignBranchDue.tasks,
               CampaignBranchDue.pledges).where(*due_scope)
    ):
        result.setdefault(instance_id, {"dues": {}})["dues"][due_at] = (tasks, pledges)
    return result


def differences(session: Session, campaign_id: int | None = None) -> dict[int, tuple[Any, Any]]:
    """Branch runs whose counters differ from a recount: {instance id: (stored, recounted)}."""
    have, want = stored(session, campaign_id), recount(session, campaign_id)
    return {i: (have.get(i), want.get(i)) for i in sorted(set(have) | set(want)) if have.get(i) != want.get(i)}


def repair(session: Session, campaign_id: int | None = None) -> list[int]:
    """Rewrite the counters of every branch run that differs from its recount; the runs repaired."""
    wrong = list(differences(session, campaign_id))
    for instance_id in wrong:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None:
            refresh(session, instance)
    session.flush()
    return wrong


def now_overdue(counters: Counters, now: datetime) -> dict[int, tuple[int, int]]:
    """Per branch run: (overdue tasks, overdue pledges) at ``now``."""
    return {i: (sum(t for d, (t, _p) in c["dues"].items() if d < now),
                sum(p for d, (_t, p) in c["dues"].items() if d < now)) for i, c in counters.items()}
