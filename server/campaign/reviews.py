"""Leader reviews that recur during a running campaign (seed 004 §四（二）, 领导点评).

"区委领导每半年对各单位党（工）委开展活动进行一次集中点评，各单位党（工）委主要负责人每季度对
下一级党组织进行一次集中点评，也可根据情况适时点评。"

``leader_review`` runs at a party committee (quarterly, its head reviews the organisations of
the next level) or at the district (half-yearly, its leaders review the party committees).
Its start hook refuses (``Declined``) when no campaign covering the unit is running, or when
the unit already reviewed in this period, so the shipped schedules
(``server.campaign.shipped``) pass such units by. The one task ``ReviewUnits`` takes a review
of every organisation of the next level (achievements, problems, direction: "实事求是地肯定
取得的成绩，指出存在的问题和努力方向"); the rows show on each reviewed unit's board. The
per-branch ``LeaderReview`` of ``vanguard_campaign_branch`` stays: "也可根据情况适时点评".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import clock
from server.calendar.due import SHANGHAI
from server.campaign.appraisal import overall_grade
from server.campaign.models import Campaign
from server.campaign.plan import GRADE_LABELS
from server.campaign.review_models import BranchPledge, BranchRating, CampaignCircular, ReviewRound, UnitReview
from server.errors import Declined, Invalid
from server.org.models import OrgUnit, Person
from server.workflow.engine import Snapshot
from server.workflow.hooks import Completion, CompletionHandler
from server.workflow.models import ProcessDefinition, ProcessInstance

REVIEW = "leader_review"


REVIEWING_UNITS = {"district": "half-yearly", "party_committee": "quarterly"}


def period_of(unit: OrgUnit) -> tuple[str, str]:
    """The review's period and its label: a half year at the district, a quarter below it."""
    local = clock.now().astimezone(SHANGHAI)
    if unit.type == "district":
        half = 1 if local.month <= 6 else 2
        return f"{local.year}H{half}", f"{local.year}年{'上' if half == 1 else '下'}半年"
    quarter = (local.month - 1) // 3 + 1
    return f"{local.year}-Q{quarter}", f"{local.year}年第{quarter}季度"


def running_campaign(session: Session, unit: OrgUnit) -> Campaign | None:
    """The newest running campaign launched at the unit or above it."""
    return session.scalar(
        select(Campaign).join(ProcessInstance, ProcessInstance.id == Campaign.instance_id)
        .where(Campaign.org_unit_id.in_(unit.ancestor_ids()), ProcessInstance.state == "running")
        .order_by(Campaign.instance_id.desc()).limit(1)
    )


def start_hook(session: Session, *, definition: ProcessDefinition, unit: OrgUnit, data: dict[str, Any],
               actor: Person | None, parent_id: int | None) -> dict[str, Any]:
    if unit.type not in REVIEWING_UNITS:
        raise Invalid(f"a collective review is held by a district or a party committee, not a {unit.type}",
                      [{"field": "org_unit", "message": "not a district or party committee"}])
    campaign = running_campaign(session, unit)
    if campaign is None:
        raise Declined(f"no campaign covering {unit.name} is running: leader reviews recur during a campaign")
    period, label = period_of(unit)
    earlier = session.scalar(
        select(ReviewRound.instance_id).join(ProcessInstance, ProcessInstance.id == ReviewRound.instance_id)
        .where(ReviewRound.org_unit_id == unit.id, ReviewRound.period == period, ProcessInstance.state != "cancelled")
    )
    if earlier is not None:
        raise Declined(f"{unit.name} already held its review of {period} (instance {earlier})")
    targets = session.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.type != "party_group")
                              .order_by(OrgUnit.code)).all()
    if not targets:
        raise Invalid(f"{unit.name} has no organisation of the next level to review",
                      [{"field": "org_unit", "message": "nothing below"}])
    return {
        "title": f"{label}领导集中点评（{unit.name}）",
        "campaign_id": campaign.instance_id,
        "campaign_title": campaign.title,
        "period": period,
        "period_label": label,
        "targets": [t.code for t in targets],
        "target_names": {t.code: t.name for t in targets},
    }


def on_saved(session: Session, instance: ProcessInstance, snapshot: Snapshot) -> None:
    if instance.lock_version != 1:
        return
    session.add(ReviewRound(instance_id=instance.id, org_unit_id=instance.org_unit_id,
                            campaign_id=snapshot.data["campaign_id"], period=snapshot.data["period"],
                            created_at=clock.now()))
    session.flush()


def _review(c: Completion) -> None:
    rnd = c.session.get(ReviewRound, c.task.instance_id)
    assert rnd is not None
    targets = [str(t) for t in c.task.data.get("targets") or []]
    reviews = c.data.get("reviews") or []
    problems = []
    seen: set[str] = set()
    for i, item in enumerate(reviews):
        code = item.get("unit")
        if code not in targets:
            problems.append({"field": f"reviews.{i}.unit", "message": f"'{code}' is not of the next level"})
        elif code in seen:
            problems.append({"field": f"reviews.{i}.unit", "message": f"'{code}' reviewed twice"})
        if item.get("commend") and not (item.get("citation") or "").strip():
            problems.append({"field": f"reviews.{i}.citation", "message": "a commendation needs its citation"})
        seen.add(str(code))
    missing = [t for t in targets if t not in seen]
    if missing:
        problems.append({"field": "reviews", "message": f"a collective review covers every organisation of the "
                                                        f"next level; missing: {', '.join(missing)}"})
    if problems:
        raise Invalid("the review has errors in: " + ", ".join(p["field"] for p in problems), problems)
    units = {u.code: u for u in c.session.scalars(select(OrgUnit).where(OrgUnit.code.in_(targets)))}
    for item in reviews:
        c.session.add(UnitReview(
            instance_id=rnd.instance_id, campaign_id=rnd.campaign_id, reviewer_unit_id=rnd.org_unit_id,
            org_unit_id=units[item["unit"]].id, period=rnd.period, achievements=item["achievements"],
            problems=item["problems"], direction=item["direction"], grade=item.get("grade"),
            commended=bool(item.get("commend")), citation=item.get("citation") if item.get("commend") else None,
            reviewed_by_id=c.person.id, reviewed_at=c.now,
        ))
    rnd.reviewed_at = c.now


def reviews_of(session: Session, campaign_id: int, unit: OrgUnit) -> list[dict[str, Any]]:
    """The collective reviews a unit received in a campaign, newest first (its public board)."""
    rows = session.scalars(select(UnitReview).where(UnitReview.campaign_id == campaign_id,
                                                    UnitReview.org_unit_id == unit.id)
                           .order_by(UnitReview.reviewed_at.desc(), UnitReview.id.desc())).all()
    return [{"period": r.period, "reviewer": {"code": r.reviewer_unit.code, "name": r.reviewer_unit.name},
             "achievements": r.achievements, "problems": r.problems, "direction": r.direction,
             "grade": r.grade, "grade_label": GRADE_LABELS.get(r.grade or ""), "commended": r.commended,
             "citation": r.citation,
             "reviewed_by": r.reviewed_by.display_name if r.reviewed_by else None,
             "reviewed_at": r.reviewed_at.isoformat()} for r in rows]


COMPLETIONS: dict[tuple[str, str], CompletionHandler] = {(REVIEW, "ReviewUnits"): _review}


def branch_pledge_of(session: Session, branch_instance_id: int) -> dict[str, Any] | None:
    """The branch's own public pledge (党组织公开承诺), for its board."""
    row = session.get(BranchPledge, branch_instance_id)
    return None if row is None else {"content": row.content, "deadline": row.deadline.isoformat(),
                                     "pledged_at": row.pledged_at.isoformat()}


def circular_of(session: Session, campaign_id: int) -> dict[str, Any] | None:
    """The year-end inspection and circular that closed the campaign, for every board in it."""
    row = session.get(CampaignCircular, campaign_id)
    return None if row is None else {"inspection": row.inspection, "circular": row.circular,
                                     "published_at": row.published_at.isoformat()}


def branch_appraisal(session: Session, branch_instance_id: int) -> dict[str, Any]:
    """How the raters graded the branch itself: counts per grade and the grade with most votes."""
    counts: Counter[str] = Counter(session.scalars(
        select(BranchRating.grade).where(BranchRating.branch_instance_id == branch_instance_id)))
    return {"votes": dict(counts), "raters": sum(counts.values()),
            "overall": overall_grade(counts) if counts else None}
