"""Who the campaign and the selection stopped waiting for, and what a short mass appraisal needs.

A stage's date passes (or an overseer closes it early, or takes someone out) and the
workflow withdraws the people it still waited for (``server.workflow.control``); this
family's withdrawal hook records what each absence means, by where the process was
waiting for him:

| element | outcome | label |
|---|---|---|
| 撰写公开承诺 ``DraftPledge`` | ``no_pledge`` | 未承诺 |
| 审核党员承诺 ``ReviewPledge`` | ``not_reviewed`` | 承诺未审核 |
| 报告兑现 ``ReportFulfilment`` | ``not_fulfilled`` | 未践诺 |
| 评定兑现 ``RateFulfilment`` | ``not_rated`` | 未评诺 |
| 群众评议 ``MassAppraisal`` | ``no_appraisal`` | 未参评 |
| 自评互评 ``SelfAndPeerEvaluation`` | ``absent`` | 未参加 |
| 阅知反馈 ``AcknowledgeFeedback`` | ``not_acknowledged`` | 未阅知 |

**Minimum participation of the mass appraisal** (docs/campaign.md): results are published
by themselves only when at least two thirds of the raters rated. With fewer, the branch's
process stops at a decision task for the superior organisation (``AppraisalShortfall``):
publish what there is, or declare the appraisal void (no member is commended on it). The
BPMN gateway counts the same thing (``appraisals.count(None) * 3 > len(appraisals)``: a
withdrawn rater's output is ``None``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import audit
from server.campaign.models import CampaignAbsence, CampaignBranch, CampaignRating
from server.org.models import Person
from server.workflow.hooks import Withdrawn
from server.workflow.models import ProcessInstance

OUTCOMES: dict[str, tuple[str, str, str]] = {
    "DraftPledge": ("no_pledge", "未承诺", "pledge"),
    "ReviewPledge": ("not_reviewed", "承诺未审核", "pledge"),
    "ReportFulfilment": ("not_fulfilled", "未践诺", "fulfil"),
    "RateFulfilment": ("not_rated", "未评诺", "fulfil"),
    "MassAppraisal": ("no_appraisal", "未参评", "appraisal"),
    "SelfAndPeerEvaluation": ("absent", "未参加", "evaluation"),
    "AcknowledgeFeedback": ("not_acknowledged", "未阅知", "feedback"),
    "InvestigateMember": ("not_investigated", "未调查核实", "feedback"),
}
"""Element where the process waited → (outcome, label, stage)."""

LABELS = {outcome: label for outcome, label, _stage in OUTCOMES.values()} | {"withdrawn": "已撤出"}

QUORUM = (2, 3)
"""At least two thirds of the raters must rate for the appraisal to publish itself."""


def record_withdrawal(session: Session, withdrawn: Withdrawn) -> None:
    """The withdrawal hook of the campaign branch and the selection: one absence row."""
    person = session.scalar(select(Person).where(Person.username == str(withdrawn.item)))
    if person is None:
        return
    element = withdrawn.waiting_at[0] if withdrawn.waiting_at else withdrawn.activity
    outcome, _label, stage = OUTCOMES.get(element, ("withdrawn", "", None))
    exists = session.scalar(select(CampaignAbsence.id).where(
        CampaignAbsence.instance_id == withdrawn.instance_id, CampaignAbsence.person_id == person.id,
        CampaignAbsence.outcome == outcome))
    if exists is None:
        instance = session.get(ProcessInstance, withdrawn.instance_id)
        assert instance is not None
        session.add(CampaignAbsence(
            instance_id=withdrawn.instance_id, org_unit_id=instance.org_unit_id, person_id=person.id, stage=stage,
            element_id=element, outcome=outcome, cause=withdrawn.cause, reason=withdrawn.reason,
            actor_id=withdrawn.actor.id if withdrawn.actor else None, recorded_at=withdrawn.at))
        session.flush()
    if element == "MassAppraisal":
        branch = session.get(CampaignBranch, withdrawn.instance_id)
        if branch is not None:
            settle_appraisal(session, branch, withdrawn.actor, withdrawn.at)


def raters_counted(session: Session, branch: CampaignBranch) -> tuple[int, int]:
    """(raters who rated, raters recorded absent) of a branch run."""
    rated = session.scalar(select(func.count(func.distinct(CampaignRating.rater_id)))
                           .where(CampaignRating.branch_instance_id == branch.instance_id)) or 0
    absent = session.scalar(select(func.count(CampaignAbsence.id))
                            .where(CampaignAbsence.instance_id == branch.instance_id,
                                   CampaignAbsence.outcome == "no_appraisal")) or 0
    return rated, absent


def quorum_met(rated: int, raters: int) -> bool:
    return rated * QUORUM[1] >= raters * QUORUM[0]


def settle_appraisal(session: Session, branch: CampaignBranch, actor: Person | None, at: Any) -> None:
    """Once every rater has rated or been recorded absent: publish, or wait for the overseer's decision."""
    if branch.appraisal_published_at is not None or branch.appraisal_decision is not None:
        return
    rated, absent = raters_counted(session, branch)
    if rated + absent < branch.rater_count:
        return
    if quorum_met(rated, branch.rater_count):
        branch.appraisal_published_at = at
        audit.record(session, "campaign.appraisal_published", actor=actor, instance_id=branch.instance_id,
                     rated=rated, raters=branch.rater_count)
    else:
        audit.record(session, "campaign.appraisal_short", actor=actor, instance_id=branch.instance_id,
                     rated=rated, raters=branch.rater_count)


def absences(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The absences of a branch run or a selection round, for its board (names, not usernames)."""
    rows = session.scalars(select(CampaignAbsence).where(CampaignAbsence.instance_id == instance_id)
                           .order_by(CampaignAbsence.id)).all()
    return [{"member": a.person.username, "name": a.person.display_name, "stage": a.stage,
             "outcome": a.outcome, "label": LABELS.get(a.outcome, a.outcome), "cause": a.cause,
             "reason": a.reason, "recorded_at": a.recorded_at.isoformat()} for a in rows]
